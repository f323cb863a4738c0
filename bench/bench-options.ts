/**
 * `npm run bench -- [flags]`. Each flag's default is what the full run uses:
 * - `--only a,b`: scenarios to run, of e2e, wan, enqueue, results, footprint, hotpaths, profile,
 *   scale1000. Default: all but profile (profiling slows what it profiles, so it never shares a
 *   run) and scale1000 (a thousand hosts run three ways: minutes).
 * - `--big-hosts 1000`: host count of the scale1000 scenario (it measures a host's memory
 *   first and refuses a count the machine cannot hold).
 * - `--hosts 50,100,200`: host counts of the e2e scenario (and the chart's x axis).
 * - `--repeat 3`: repetitions of every SimpleCM and raw-bound measurement.
 * - `--ansible-repeat 1`: Ansible runs per host count (0: no Ansible).
 * - `--ansible-at ends`: Ansible and pyinfra at the smallest and largest host count only; `all`: at each.
 * - `--pyinfra-repeat 1`: pyinfra runs (cold, then warm) per host count (0: no pyinfra). pyinfra
 *   is installed from PyPI into .bench/pyinfra-<version> on first use.
 * - `--master-workers 1`: workers of the SimpleCM set whose runs go through a resident master
 *   (`simplecm master` running; each spawned `enqueue` submits to it, as `simplecm run` does); 0: no such set.
 * - `--no-lean`: leave out the lean bound (OpenSSH + a hand-written bash script, `xargs -P`).
 * - `--tsx-workers 0`: also run SimpleCM from its TypeScript through tsx (as before the build
 *   step of bin/app.cjs) with this many workers, to measure what the build step gains end to
 *   end (0: not; the hotpaths scenario measures the start-up difference in any case).
 * - `--ansible-strategy free`: or `linear` (Ansible's default; slower).
 * - `--wan-hosts 20`, `--wan-delay 25`: hosts behind the latency proxy, one-way delay in ms.
 * - `--scale-hosts 100000`: inventory size of the enqueue-at-scale scenario (10 operations each).
 * - `--reload-scale`: load that inventory again even when the keyspace already holds it.
 * - `--results-hosts 10000`: host results (10 operations each) pre-filled for the results consumer.
 * - `--footprint-jobs 200`, `--footprint-sleep 10`: concurrent host jobs in one worker, seconds each.
 * - `--from-json FILE`: run nothing; write the report and chart again from saved samples.
 * - `--out DIR`: where the table (latest.md) and chart (wall-time.svg) go. Default
 *   bench/results for a full run, .bench/results when a flag narrows it (so quick runs never
 *   replace the committed results). Every sample is also saved as JSON under .bench/results.
 */
import path from 'node:path';
import { z } from 'zod';
import { intFlag, parseCli } from '@simplecm/config';
import { repoRoot } from '@simplecm/stack';

export const SCENARIOS = ['e2e', 'wan', 'enqueue', 'results', 'footprint', 'hotpaths', 'profile', 'scale1000'] as const;
export type Scenario = (typeof SCENARIOS)[number];
const DEFAULT_SCENARIOS: readonly Scenario[] = ['e2e', 'wan', 'enqueue', 'results', 'footprint', 'hotpaths'];

export interface BenchOptions {
  readonly scenarios: readonly Scenario[];
  readonly hostCounts: readonly number[];
  readonly repeat: number;
  readonly ansibleRepeat: number;
  readonly ansibleStrategy: 'free' | 'linear';
  readonly ansibleForks: number;
  readonly ansibleHostCounts: readonly number[];
  readonly pyinfraRepeat: number;
  readonly bigHosts: number;
  readonly lean: boolean;
  readonly tsxWorkers: number;
  /** Workers of the SimpleCM set whose runs go through a resident master (0: no such set). */
  readonly masterWorkers: number;
  readonly workerCounts: readonly number[];
  readonly wanHosts: number;
  readonly wanDelayMs: number;
  readonly scaleHosts: number;
  readonly reloadScale: boolean;
  readonly resultsHosts: number;
  readonly footprintJobs: number;
  readonly footprintSleepSeconds: number;
  readonly outDir: string;
  readonly fromJson: string | undefined;
  /** True when no flag narrowed the run: the results are the full, committed ones. */
  readonly full: boolean;
}

const flagSpec = {
  only: { type: 'string' },
  hosts: { type: 'string' },
  repeat: { type: 'string' },
  'ansible-repeat': { type: 'string' },
  'ansible-strategy': { type: 'string' },
  'ansible-at': { type: 'string' },
  'pyinfra-repeat': { type: 'string' },
  'big-hosts': { type: 'string' },
  'no-lean': { type: 'boolean' },
  'tsx-workers': { type: 'string' },
  'master-workers': { type: 'string' },
  'wan-hosts': { type: 'string' },
  'wan-delay': { type: 'string' },
  'scale-hosts': { type: 'string' },
  'reload-scale': { type: 'boolean' },
  'results-hosts': { type: 'string' },
  'footprint-jobs': { type: 'string' },
  'footprint-sleep': { type: 'string' },
  out: { type: 'string' },
  'from-json': { type: 'string' },
} as const;

const commaList = z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

const flagsSchema = z.object({
  only: commaList.pipe(z.array(z.enum(SCENARIOS)).min(1)).optional(),
  hosts: commaList.pipe(z.array(z.string().regex(/^\d+$/, 'must be whole numbers').transform(Number).pipe(z.number().int().min(1).max(2000))).min(1)).optional(),
  repeat: intFlag(1, 50).optional(),
  'ansible-repeat': intFlag(0, 20).optional(),
  'ansible-strategy': z.enum(['free', 'linear']).optional(),
  'ansible-at': z.enum(['ends', 'all']).optional(),
  'pyinfra-repeat': intFlag(0, 20).optional(),
  'big-hosts': intFlag(1, 5000).optional(),
  'no-lean': z.boolean().optional(),
  'tsx-workers': intFlag(0, 10).optional(),
  'master-workers': intFlag(0, 10).optional(),
  'wan-hosts': intFlag(1, 250).optional(),
  'wan-delay': intFlag(0, 1000).optional(),
  'scale-hosts': intFlag(1, 1_000_000).optional(),
  'reload-scale': z.boolean().optional(),
  'results-hosts': intFlag(1, 1_000_000).optional(),
  'footprint-jobs': intFlag(1, 1000).optional(),
  'footprint-sleep': intFlag(1, 600).optional(),
  out: z.string().min(1).optional(),
  'from-json': z.string().min(1).optional(),
});

export function compileBenchOptions(argv: readonly string[]): BenchOptions {
  const { flags } = parseCli(argv, flagSpec, flagsSchema);
  const narrowing = Object.keys(flags).filter((k) => !['out', 'reload-scale', 'ansible-strategy', 'ansible-at', 'tsx-workers', 'from-json'].includes(k));
  const full = narrowing.length === 0;
  const hostCounts = [...new Set(flags.hosts ?? [50, 100, 200])].sort((a, b) => a - b);
  return {
    scenarios: flags.only ?? DEFAULT_SCENARIOS,
    hostCounts,
    repeat: flags.repeat ?? 3,
    ansibleRepeat: flags['ansible-repeat'] ?? 1,
    ansibleStrategy: flags['ansible-strategy'] ?? 'free',
    ansibleForks: 50,
    ansibleHostCounts: flags['ansible-at'] === 'all' ? hostCounts : [...new Set([hostCounts[0]!, hostCounts[hostCounts.length - 1]!])],
    pyinfraRepeat: flags['pyinfra-repeat'] ?? 1,
    bigHosts: flags['big-hosts'] ?? 1000,
    lean: !(flags['no-lean'] ?? false),
    tsxWorkers: flags['tsx-workers'] ?? 0,
    masterWorkers: flags['master-workers'] ?? 1,
    workerCounts: [1, 3],
    wanHosts: flags['wan-hosts'] ?? 20,
    wanDelayMs: flags['wan-delay'] ?? 25,
    scaleHosts: flags['scale-hosts'] ?? 100_000,
    reloadScale: flags['reload-scale'] ?? false,
    resultsHosts: flags['results-hosts'] ?? 10_000,
    footprintJobs: flags['footprint-jobs'] ?? 200,
    footprintSleepSeconds: flags['footprint-sleep'] ?? 10,
    outDir: path.resolve(flags.out ?? (full ? path.join(repoRoot, 'bench', 'results') : path.join(repoRoot, '.bench', 'results'))),
    full,
    fromJson: flags['from-json'],
  };
}
