/**
 * `npm run bench:soak -- [--runs 200] [--hosts 200] [--concurrency HOSTS] [--minutes 0] [--out DIR] [--name soak]
 *   [--worker-node-options=--max-old-space-size=…] [--memory-trace FILE]`:
 * one worker and one results consumer, started once, serve consecutive runs of the bench
 * workload (ten file operations per host); their resident memory is sampled after every run
 * and the peak during it. Memory that grows run after run is a leak (listeners, maps keyed by
 * run, ssh2 channels, job data held); a plateau is not. Writes soak.md (tables) and soak.svg
 * (the chart) to bench/results for a full run, .bench/results when a flag narrows it.
 * `--minutes N` stops after N minutes even if fewer runs were done (0: no time bound).
 * `--name` names the files (`--name soak-500` writes soak-500.md and soak-500.svg);
 * `--worker-node-options` is added to the worker's NODE_OPTIONS (V8 flags, measured side by side);
 * `--memory-trace FILE` makes the worker append its memoryUsage() and V8 heap spaces to FILE every
 * 100 ms (bench/memory-hook.cjs), to see what a peak is made of; `--heap-sampling FILE` runs V8's
 * sampling heap profiler in the worker (every allocation, collected or not) and writes it to FILE
 * after each run (SIGUSR2), for bench/heap-profile-summary.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { intFlag, parseCli } from '@simplecm/config';
import { errorMessage } from '@simplecm/kernel';
import { buildStaleApps, repoRoot } from '@simplecm/stack';
import { resultStore } from '@simplecm/store';
import { ensureStack, stackHosts, waitForServices } from './bench-host-pool';
import { createBenchSystem } from './bench-system';
import { closeOpenResources } from './open-resources';
import { resetPeakRss, sampleProcess } from './proc-stats';
import { progressLog } from './progress-log';
import { renderSoakChart, renderSoakReport, soakTrend, type SoakSample, type SoakSettings } from './soak-report';
import { benchOperations, OPERATIONS_PER_HOST } from './workload';

const flagSpec = {
  runs: { type: 'string' },
  hosts: { type: 'string' },
  concurrency: { type: 'string' },
  minutes: { type: 'string' },
  out: { type: 'string' },
  name: { type: 'string' },
  'worker-node-options': { type: 'string' },
  'memory-trace': { type: 'string' },
  'heap-sampling': { type: 'string' },
} as const;
const flagsSchema = z.object({
  runs: intFlag(2, 100_000).optional(),
  hosts: intFlag(1, 1000).optional(),
  concurrency: intFlag(1, 1000).optional(),
  minutes: intFlag(0, 24 * 60).optional(),
  out: z.string().min(1).optional(),
  name: z.string().regex(/^[a-z0-9-]+$/).optional(),
  'worker-node-options': z.string().min(1).optional(),
  'memory-trace': z.string().min(1).optional(),
  'heap-sampling': z.string().min(1).optional(),
});

/** The worker's extra environment: V8 flags, the memory trace and the heap sampling hook, when asked for. */
function workerEnv(nodeOptions: string | undefined, traceFile: string | undefined, samplingFile: string | undefined): Record<string, string> {
  const hook = traceFile || samplingFile ? `--require ${path.join(__dirname, 'memory-hook.cjs')}` : undefined;
  const options = [process.env.NODE_OPTIONS, nodeOptions, hook].filter(Boolean).join(' ');
  return {
    ...(options ? { NODE_OPTIONS: options } : {}),
    ...(traceFile ? { BENCH_MEMORY_TRACE: path.resolve(traceFile) } : {}),
    ...(samplingFile ? { BENCH_HEAP_SAMPLING: path.resolve(samplingFile) } : {}),
  };
}

const rssMb = (pid: number, field: 'rssKb' | 'hwmKb'): number => {
  const sample = sampleProcess(pid);
  if (!sample) throw new Error(`process ${pid} is gone`);
  return sample[field] / 1024;
};

async function main(): Promise<void> {
  const { flags } = parseCli(process.argv.slice(2), flagSpec, flagsSchema);
  const full = flags.runs === undefined && flags.hosts === undefined && flags.concurrency === undefined && flags.minutes === undefined;
  const hosts = flags.hosts ?? 200;
  const runs = flags.runs ?? 200;
  const deadline = flags.minutes ? Date.now() + flags.minutes * 60_000 : Number.POSITIVE_INFINITY;
  const outDir = path.resolve(flags.out ?? path.join(repoRoot, full ? 'bench/results' : '.bench/results'));
  const name = flags.name ?? 'soak';
  const settings: SoakSettings = {
    hosts,
    concurrency: flags.concurrency ?? hosts,
    operationsPerHost: OPERATIONS_PER_HOST,
    startedAt: new Date().toISOString(),
    ...(flags['worker-node-options'] ? { workerNodeOptions: flags['worker-node-options'] } : {}),
  };
  const log = progressLog();
  await buildStaleApps();
  await ensureStack(hosts, log);
  const system = await createBenchSystem('soak');
  const samples: SoakSample[] = [];
  const save = () => {
    if (samples.length < 2) return;
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, `${name}.md`), renderSoakReport(settings, samples, `${name}.svg`));
    fs.writeFileSync(path.join(outDir, `${name}.svg`), renderSoakChart(settings, samples));
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`soak: ${signal}: keeping ${samples.length} runs in ${outDir}, cleaning up`);
      save();
      void closeOpenResources().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
  try {
    await system.putDesiredState(stackHosts(hosts).map((host) => ({ host, operations: benchOperations('soak') })));
    const [worker] = await system.startWorkers(1, ['--concurrency', String(settings.concurrency)], workerEnv(flags['worker-node-options'], flags['memory-trace'], flags['heap-sampling']));
    const consumer = await system.startResults();
    log(`soak: ${runs} runs of ${hosts} hosts; worker pid ${worker!.appPid} (RSS ${rssMb(worker!.appPid, 'rssKb').toFixed(0)} MB idle), consumer pid ${consumer.appPid}`);
    for (let run = 1; run <= runs && Date.now() < deadline; run++) {
      await waitForServices(log);
      resetPeakRss(worker!.appPid);
      resetPeakRss(consumer.appPid);
      const cpu0 = sampleProcess(worker!.appPid)?.cpuSeconds ?? 0;
      const t0 = Date.now();
      const enqueue = await system.enqueue([]);
      if (enqueue.code !== 0 || !enqueue.runId) throw new Error(`run ${run}: enqueue exited ${enqueue.code}: ${enqueue.output.slice(-1500)}`);
      const row = await system.waitRunFinished(enqueue.runId, 10 * 60_000);
      const done = row.counts.ok + row.counts.changed;
      // A failed operation (a host disturbed by someone else) is said and counted, not a reason
      // to throw away an hour of samples; memory is what this measures.
      const notDone = hosts * OPERATIONS_PER_HOST - done;
      if (notDone > 0) {
        const failed = (await resultStore(system.cassandra, system.keyspace).pageRunHosts(enqueue.runId, { pageSize: 5000 })).items.filter((h) => h.status !== 'ok' && h.status !== 'changed');
        log(`soak: run ${run}: ${done} of ${hosts * OPERATIONS_PER_HOST} operations ok or changed (failed ${row.counts.failed}, unreachable ${row.counts.unreachable}); going on. ${failed.map((h) => `${h.hostname} ${h.status}: ${h.cause ?? '?'}`).join('; ')}`);
      }
      samples.push({
        run,
        wallMs: Date.now() - t0,
        workerCpuS: (sampleProcess(worker!.appPid)?.cpuSeconds ?? cpu0) - cpu0,
        ...(notDone > 0 ? { opsNotDone: notDone } : {}),
        workerRssMb: rssMb(worker!.appPid, 'rssKb'),
        workerPeakMb: rssMb(worker!.appPid, 'hwmKb'),
        consumerRssMb: rssMb(consumer.appPid, 'rssKb'),
        consumerPeakMb: rssMb(consumer.appPid, 'hwmKb'),
      });
      if (flags['heap-sampling']) process.kill(worker!.appPid, 'SIGUSR2');
      const s = samples[samples.length - 1]!;
      log(`soak: run ${run}/${runs} ${(s.wallMs / 1000).toFixed(1)} s (worker CPU ${s.workerCpuS?.toFixed(2)} s); worker RSS ${s.workerRssMb.toFixed(0)} MB (peak ${s.workerPeakMb.toFixed(0)}), consumer ${s.consumerRssMb.toFixed(0)} MB (peak ${s.consumerPeakMb.toFixed(0)})`);
      if (run % 10 === 0) save();
    }
    save();
    const worst = soakTrend(samples.map((s) => s.workerRssMb));
    log(`soak: ${samples.length} runs; worker RSS ${worst.secondQuarterMb.toFixed(0)} → ${worst.lastQuarterMb.toFixed(0)} MB (median 2nd → last quarter), slope ${worst.slopeMbPerRun.toFixed(2)} MB/run over the last half; report in ${path.relative(process.cwd(), outDir)}/${name}.md`);
  } finally {
    save();
    await system.close();
  }
}

main().catch(async (error: unknown) => {
  process.stderr.write(`soak: ${errorMessage(error)}\n`);
  await closeOpenResources();
  process.exit(1);
});
