/**
 * `npm run bench`: SimpleCM against the raw bound and Ansible, plus its own scale limits, in
 * one run on the local stack. See bench-options.ts for the flags and docs/performance.md for
 * what each figure means.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '@simplecm/config';
import { compileBenchOptions, type BenchOptions } from './bench-options';
import { benchDir } from './bench-system';
import { closeOpenResources } from './open-resources';
import { renderChart } from './chart-svg';
import { progressLog } from './progress-log';
import { renderReport, type BenchResults } from './report';
import type { RunSample } from './samples';
import { runComparison } from './scenarios/compare';
import { runHotPaths } from './scenarios/hot-paths';
import { runEnqueueScale } from './scenarios/enqueue-scale';
import { runProfile } from './scenarios/profile';
import { runResultsThroughput } from './scenarios/results-throughput';
import { runWan } from './scenarios/wan';
import { runScale } from './scenarios/scale';
import { runWorkerFootprint } from './scenarios/worker-footprint';
import { ensureStack, ensureStackHosts, stackHosts, waitForServices } from './bench-host-pool';

import { buildStaleApps, stackPaths } from '@simplecm/stack';
import { errorMessage } from '@simplecm/kernel';

function save(options: BenchOptions, results: BenchResults): void {
  fs.mkdirSync(options.outDir, { recursive: true });
  fs.writeFileSync(path.join(options.outDir, 'latest.md'), renderReport(results));
  // Every sample, for re-plotting or a closer look; too big to commit, so never in bench/results.
  const samplesDir = path.join(benchDir, 'results');
  fs.mkdirSync(samplesDir, { recursive: true });
  fs.writeFileSync(path.join(samplesDir, options.full ? 'latest-full.json' : 'latest.json'), `${JSON.stringify(results)}\n`);
  const chart = renderChart(results.e2e);
  if (chart) fs.writeFileSync(path.join(options.outDir, 'wall-time.svg'), chart);
}

/** Resolves true when a scenario failed (its rows are missing; the report says which). */
async function main(): Promise<boolean> {
  const options = compileBenchOptions(process.argv.slice(2));
  if (options.fromJson) {
    const saved = JSON.parse(fs.readFileSync(options.fromJson, 'utf8')) as BenchResults;
    fs.mkdirSync(options.outDir, { recursive: true });
    fs.writeFileSync(path.join(options.outDir, 'latest.md'), renderReport(saved));
    const chart = renderChart(saved.e2e);
    if (chart) fs.writeFileSync(path.join(options.outDir, 'wall-time.svg'), chart);
    process.stdout.write(`report and chart written to ${options.outDir} from ${options.fromJson}\n`);
    return false;
  }
  const log = progressLog();
  fs.mkdirSync(benchDir, { recursive: true });
  // SimpleCM's processes run from their bundles (bin/app.cjs); build them now, not while timed.
  const built = await buildStaleApps();
  if (built.length > 0) log(`bench: built ${built.join(', ')} into dist/`);
  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    options,
    machine: { cpus: (await import('node:os')).cpus().length, memGiB: Math.round((await import('node:os')).totalmem() / 2 ** 30), node: process.version },
    e2e: [],
    wan: [],
    notes: [],
  };
  log(`bench: ${options.scenarios.join(', ')}; hosts ${options.hostCounts.join(',')}, repeat ${options.repeat}; results to ${path.relative(process.cwd(), options.outDir) || '.'}`);
  const started = Date.now();
  const ensureHosts = (n: number) => ensureStackHosts(n, log);
  // Interrupted: stop our processes, drop our keyspaces and queue keys, keep what was measured.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`bench: ${signal}: cleaning up (processes, keyspaces, queue keys); partial results in ${options.outDir}`);
      results.notes.push(`interrupted by ${signal}: the run is incomplete`);
      save(options, results);
      void closeOpenResources().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
  await ensureStack(Math.max(...options.hostCounts, options.wanHosts, options.footprintJobs), log);
  /** What a comparison scenario reports to: its samples (saved as they come), the notes. */
  const comparisonIo = (into: RunSample[]) => ({
    log,
    ensureHosts,
    onSample: (s: RunSample) => {
      into.push(s);
      save(options, results);
    },
    note: (n: string) => results.notes.push(n),
  });
  const runScenario = async (scenario: (typeof options.scenarios)[number]): Promise<void> => {
    switch (scenario) {
      case 'e2e':
        await runComparison({
          scenario: 'e2e',
          hostCounts: options.hostCounts,
          repeat: options.repeat,
          ansibleRepeat: options.ansibleRepeat,
          ansibleStrategy: options.ansibleStrategy,
          ansibleForks: options.ansibleForks,
          pyinfraRepeat: options.pyinfraRepeat,
          lean: options.lean,
          workerCounts: options.workerCounts,
          tsxWorkers: options.tsxWorkers,
          masterWorkers: options.masterWorkers,
          ansibleHostCounts: options.ansibleHostCounts,
          hostsFor: (n) => stackHosts(n),
          knownHosts: stackPaths.knownHosts,
          runTimeoutMs: 10 * 60_000,
          ...comparisonIo(results.e2e),
        });
        break;
      case 'wan':
        await runWan(options, comparisonIo(results.wan));
        break;
      case 'enqueue':
        results.enqueue = await runEnqueueScale(options, log);
        break;
      case 'results':
        results.results = await runResultsThroughput(options, log);
        break;
      case 'footprint':
        results.footprint = await runWorkerFootprint(options, { log, ensureHosts });
        break;
      case 'hotpaths':
        results.hotPaths = await runHotPaths({ log, ensureHosts });
        break;
      case 'profile':
        results.profile = await runProfile(options, { log, ensureHosts });
        break;
      case 'scale1000': {
        const scale: NonNullable<BenchResults['scale']> = { samples: [] };
        results.scale = scale;
        scale.result = await runScale(options, comparisonIo(scale.samples));
        break;
      }
    }
  };
  for (const scenario of options.scenarios) {
    log(`== ${scenario}`);
    // The comparisons retry each measurement themselves; the others are short and start over.
    const attempts = scenario === 'e2e' || scenario === 'wan' || scenario === 'scale1000' ? 1 : 3;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        await runScenario(scenario);
        break;
      } catch (error) {
        const message = errorMessage(error).split('\n')[0];
        log(`${scenario}: attempt ${attempt}/${attempts} failed: ${message}`);
        if (attempt === attempts) results.notes.push(`${scenario}: failed (${message}); its rows are missing or partial`);
        else await waitForServices(log);
      }
    }
    save(options, results);
  }
  results.durationSeconds = Math.round((Date.now() - started) / 1000);
  save(options, results);
  process.stdout.write(`\n${renderReport(results)}\n`);
  log(`bench: done in ${Math.floor(results.durationSeconds / 60)} min ${results.durationSeconds % 60} s; ${path.join(options.outDir, 'latest.md')}`);
  return results.notes.some((n) => / failed \(/.test(n));
}

main().then(
  (failed) => process.exit(failed ? 1 : 0),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.stack ?? error.message : errorMessage(error)}\n`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  },
);
