// A Node worker_threads entry serving the echo task (used by the crash and reconnect tests).
import { parentPort } from 'node:worker_threads';
import { serve } from '../serve.js';
import { nodeEndpoint } from '../wire.js';
import { echoTasks } from './heads.js';

if (!parentPort) throw new Error('must run in a worker');
serve(echoTasks, nodeEndpoint(parentPort));
