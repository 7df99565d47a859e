/**
 * The default bertweb worker: serves every head. Use it as a module worker:
 * `new Worker(new URL('bertweb/worker', import.meta.url), { type: 'module' })`.
 * `serve` runs before anything heavy loads (the heads import ORT lazily on first use).
 *
 * @packageDocumentation
 */
import { serve } from '@bertweb/core';
import { installConverter } from './converter.js';
import { defaultTasks } from './tasks.js';

serve(defaultTasks);
installConverter();
