/** Worker of the parity page: only the raw runtime task (no heads), so it tests core alone. */
import { serve } from '@bertweb/core';
import { createRawTask } from './raw-task.js';

/** Tasks of this worker, for `connect<typeof rawTasks>()`. */
export const rawTasks = { raw: createRawTask } as const;

serve(rawTasks);
