// Node worker entry of the heads' fuzz suite: registers tsx so the TypeScript worker module can load
// (spawn it with execArgv ['--conditions=source'] so the workspace packages resolve to their sources).
import { register } from 'tsx/esm/api';

register();
await import('./fuzz-worker.ts');
