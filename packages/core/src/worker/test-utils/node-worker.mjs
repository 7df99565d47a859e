// Node worker entry for tests: registers tsx so the TypeScript worker module can load.
import { register } from 'tsx/esm/api';

register();
await import('./node-worker.ts');
