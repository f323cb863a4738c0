import v8 from 'node:v8';

/**
 * How far V8 lets a long-running process's JavaScript heap grow past what was alive at its last
 * full collection before it collects again, in percent (V8's `--heap-growing-percent`). V8's own
 * choice on a machine with gigabytes is up to 300 %, so a worker holding 200 hosts at once piled
 * garbage up to 290 MB of RSS before collecting it; 50 % keeps the peak near the live heap for a
 * few percent of CPU (docs/performance.md, "Memory over time").
 */
export const HEAP_GROWTH_PERCENT_DEFAULT = 50;

/**
 * Sets the heap growing factor for the rest of the process's life; V8 reads it at every full
 * collection, so setting it once the process runs is enough (no node command-line flag, however
 * the process is started). 0 leaves V8's own choice.
 */
export function setHeapGrowthPercent(percent: number): void {
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${Math.round(percent)}`);
}
