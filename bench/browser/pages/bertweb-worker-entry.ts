/**
 * The bench's bertweb worker: tracing and the thread count (both read from the worker's name) are set
 * up first, then the stock `bertweb/worker` entry serves every head.
 */
import './trace.js';
import './worker-threads.js';
import 'bertweb/worker';
