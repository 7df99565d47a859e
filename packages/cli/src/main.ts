// The `bertweb` process entry: wires the real stdin/stdout and exits with the command's code.
import { runCli } from './cli.js';
import { processIO } from './io.js';

const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
const code = await runCli(process.argv.slice(2), processIO(controller.signal));
process.exitCode = code;
