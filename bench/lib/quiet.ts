/**
 * What a report says about the machine: the 1-minute load average when the benchmark process started
 * (before its own work), and whether other jobs shared the machine then.
 */
import { loadavg } from 'node:os';

const startLoad = loadavg()[0] ?? 0;

/**
 * One sentence for a report: "Preliminary" when the machine was busy as the benchmark started.
 *
 * @example
 * ```ts
 * console.log(`Medians of per-run ratios. ${quietNote()}`);
 * ```
 */
export function quietNote(): string {
  return startLoad > 1.5
    ? `Preliminary: other jobs shared the machine (load ${startLoad.toFixed(1)} at the start); read the ratios.`
    : `No other jobs ran (load ${startLoad.toFixed(1)} at the start); on 2 cores, read the ratios before the absolute rates.`;
}
