/**
 * Worker footprint: one worker process with concurrency J holds J host jobs at once — each
 * host runs one `sleep` operation, so every job keeps its SSH connection, channel and driver
 * open for the whole sleep and they all overlap. The worker's peak RSS (VmHWM, reset once it
 * is idle) is the figure; the run rows say how many hosts really overlapped.
 */
import { resultStore } from '@simplecm/store';
import type { BenchOptions } from '../bench-options';
import { beginWindow, createBenchSystem } from '../bench-system';
import { sampleProcess } from '../proc-stats';
import type { WorkerFootprintSample } from '../samples';
import { stackHosts } from '../bench-host-pool';
import { sleepOperations } from '../workload';

/** The most intervals that hold at one instant. */
function maxOverlap(intervals: ReadonlyArray<[number, number]>): number {
  const events = intervals.flatMap(([a, b]) => [[a, 1] as const, [b, -1] as const]).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let open = 0;
  let most = 0;
  for (const [, d] of events) most = Math.max(most, (open += d));
  return most;
}

export async function runWorkerFootprint(
  options: BenchOptions,
  io: { log: (line: string) => void; ensureHosts: (n: number) => Promise<void> },
): Promise<WorkerFootprintSample> {
  const jobs = options.footprintJobs;
  await io.ensureHosts(jobs);
  const system = await createBenchSystem('footprint');
  try {
    await system.putDesiredState(stackHosts(jobs).map((host) => ({ host, operations: sleepOperations(options.footprintSleepSeconds) })));
    const [worker] = await system.startWorkers(1, ['--concurrency', String(jobs)]);
    await system.startResults();
    await new Promise((r) => setTimeout(r, 1_000));
    const idleRssMb = (sampleProcess(worker!.appPid)?.hwmKb ?? Number.NaN) / 1024;
    const window = beginWindow([worker!]);
    io.log(`footprint: ${jobs} hosts × sleep ${options.footprintSleepSeconds} s on one worker (concurrency ${jobs}); idle peak RSS ${idleRssMb.toFixed(0)} MB`);
    const enqueue = await system.enqueue([]);
    if (enqueue.code !== 0 || !enqueue.runId) throw new Error(`enqueue exited ${enqueue.code}: ${enqueue.output.slice(-2000)}`);
    const row = await system.waitRunFinished(enqueue.runId, 10 * 60_000);
    const [cost] = window();
    if (row.counts.ok !== jobs) throw new Error(`footprint run: ok ${row.counts.ok} of ${jobs} (failed ${row.counts.failed}, unreachable ${row.counts.unreachable})`);
    const hosts = (await resultStore(system.cassandra, system.keyspace).pageRunHosts(enqueue.runId, { pageSize: 5000 })).items;
    const peakConcurrent = maxOverlap(hosts.flatMap((h) => (h.startedAt && h.endedAt ? [[h.startedAt.getTime(), h.endedAt.getTime()] as [number, number]] : [])));
    const sample: WorkerFootprintSample = {
      jobs,
      peakConcurrent,
      wallMs: (row.finishedAt?.getTime() ?? Date.now()) - enqueue.spawnedAt,
      peakRssMb: cost!.peakRssMb,
      idleRssMb,
      cpuSeconds: cost!.cpuSeconds,
    };
    io.log(`footprint: ${peakConcurrent} host jobs at once, worker peak RSS ${sample.peakRssMb.toFixed(0)} MB, CPU ${sample.cpuSeconds.toFixed(1)} s`);
    return sample;
  } finally {
    await system.close();
  }
}
