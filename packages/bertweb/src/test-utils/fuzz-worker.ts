// A Node worker_threads entry serving every head (bertweb's defaultTasks), for the heads' fuzz suite.
import { parentPort } from 'node:worker_threads';
import { nodeEndpoint, serve } from '@bertweb/core';
import { defaultTasks } from '../tasks.js';

if (!parentPort) throw new Error('must run in a worker');
serve(defaultTasks, nodeEndpoint(parentPort));
