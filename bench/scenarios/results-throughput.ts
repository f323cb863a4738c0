/**
 * Results throughput: the results queue is pre-filled with N host results of ten operations
 * each (what a cold run of the workload produces), then a results consumer process is started
 * and timed until the run row says every host is done — which the consumer writes only after a
 * host's rows, so then every row is in Cassandra.
 */
import { connectionConfigFromEnv } from '@simplecm/config';
import type { OperationResult } from '@simplecm/domain';
import { handOffResult, readResultKey, redisConnection, resultJobId, resultSealer, type ResultJobData } from '@simplecm/queue';
import { newRunId } from '@simplecm/store';
import type { BenchOptions } from '../bench-options';
import { createBenchSystem, type BenchSystem } from '../bench-system';
import { infraCpu, infraDelta } from '../infra-cpu';
import { sampleProcess } from '../proc-stats';
import { spread } from '../stats';
import { writeResults } from '../write-path';
import type { ResultsThroughputSample } from '../samples';
import { BENCH_ROOT, benchOperations, OPERATIONS_PER_HOST } from '../workload';

function hostResult(runId: string, hostname: string, now: number): ResultJobData['result'] {
  const operations: OperationResult[] = benchOperations('results').map((op, i) => ({
    seq: op.seq,
    name: op.name,
    module: op.module,
    status: 'changed',
    exitCode: 0,
    stdout: '',
    stdoutTruncated: false,
    stderr: '',
    stderrTruncated: false,
    changes: [`${op.module}: create ${String(op.attributes.path ?? `${BENCH_ROOT}/results`)}`],
    startedAt: now + i * 9,
    durationMs: 9,
  }));
  return { runId, hostname, status: 'changed', worker: 'bench', startedAt: now, endedAt: now + 100, cause: null, operations };
}

/** Pre-fills the system's result stream with `n` host results of a run that expects `n` hosts (handed off as a worker does). */
export async function fillResultsQueue(system: BenchSystem, n: number): Promise<string> {
  const runId = newRunId();
  await system.runs.createRun({ runId, mode: 'apply', target: 'bench results', hostCount: n });
  const redis = redisConnection(connectionConfigFromEnv(system.env).redis, { autoPipelining: true });
  // Sealed as workers seal them: the consumer refuses results without the MAC.
  const sealer = resultSealer(readResultKey(system.env.SIMPLECM_RESULT_KEY ?? ''));
  try {
    const now = Date.now();
    for (let i = 0; i < n; i += 1000) {
      await Promise.all(
        Array.from({ length: Math.min(1000, n - i) }, (_, k) => {
          const hostname = `results-${String(i + k + 1).padStart(6, '0')}`;
          return handOffResult(redis, system.prefix, runId, hostname, sealer.seal(resultJobId(runId, hostname), { result: hostResult(runId, hostname, now), mode: 'apply' as const, hostCount: n }));
        }),
      );
    }
  } finally {
    redis.disconnect();
  }
  return runId;
}

export async function runResultsThroughput(options: BenchOptions, log: (line: string) => void): Promise<ResultsThroughputSample> {
  const n = options.resultsHosts;
  const system = await createBenchSystem('results');
  try {
    const runId = await fillResultsQueue(system, n);
    log(`results: ${n.toLocaleString('en')} host results (${(n * OPERATIONS_PER_HOST).toLocaleString('en')} operation results) queued; starting the consumer`);
    const infra0 = infraCpu(0);
    const spawnedAt = Date.now();
    const consumer = await system.startResults();
    const readyAt = Date.now();
    const cpuAtReady = sampleProcess(consumer.appPid)?.cpuSeconds ?? 0;
    let lastLog = Date.now();
    const row = await system.waitRunFinished(runId, 10 * 60_000, (r) => {
      if (r && Date.now() - lastLog > 5_000) {
        lastLog = Date.now();
        log(`results: ${r.hostsDone.toLocaleString('en')}/${n.toLocaleString('en')} hosts written`);
      }
    });
    const infra = infraDelta(infra0, infraCpu(0));
    const after = sampleProcess(consumer.appPid);
    const finishedAt = row.finishedAt?.getTime() ?? Date.now();
    const writeMs = finishedAt - readyAt;
    const sample: ResultsThroughputSample = {
      hosts: n,
      operations: n * OPERATIONS_PER_HOST,
      wallMs: finishedAt - spawnedAt,
      writeMs,
      opsPerSecond: (n * OPERATIONS_PER_HOST) / (writeMs / 1000),
      cpuSeconds: (after?.cpuSeconds ?? Number.NaN) - cpuAtReady,
      peakRssMb: (after?.hwmKb ?? Number.NaN) / 1024,
      cassandraCpuSeconds: infra.cassandra,
      redisCpuSeconds: infra.redis,
    };
    // The write path alone, for scale: what Cassandra takes without the queue around it.
    // Three rounds, the order rotating, after an unmeasured round that prepares the statements.
    const hosts = Math.min(n, 2_000);
    const make = (id: string) => Array.from({ length: hosts }, (_, i) => hostResult(id, `wp-${String(i + 1).padStart(6, '0')}`, Date.now()));
    const shapes = [['store', 64], ['store + progress', 64], ['one batch', 64], ['packed', 64], ['store', 256], ['one batch', 256]] as const;
    for (const [shape] of shapes) await writeResults(system.cassandra, system.keyspace, shape, (id) => make(id).slice(0, 200), 64);
    const measured = shapes.map(() => ({ rates: [] as number[], cpu: [] as number[] }));
    for (let round = 0; round < 3; round++) {
      for (let k = 0; k < shapes.length; k++) {
        const i = (k + round * 2) % shapes.length;
        const [shape, concurrency] = shapes[i]!;
        const c0 = infraCpu(0);
        const { ms, operations } = await writeResults(system.cassandra, system.keyspace, shape, make, concurrency);
        const c = infraDelta(c0, infraCpu(0));
        measured[i]!.rates.push(operations / (ms / 1000));
        measured[i]!.cpu.push((c.cassandra * 1000) / operations);
      }
    }
    const writePath: NonNullable<ResultsThroughputSample['writePath']> = shapes.map(([shape, concurrency], i) => ({
      shape,
      concurrency,
      opsPerSecond: spread(measured[i]!.rates).median,
      cassandraCpuMsPerOp: spread(measured[i]!.cpu).median,
    }));
    sample.writePath = writePath;

    // The consumer process again at four times its default concurrency (SIMPLECM_RESULTS_CONCURRENCY):
    // if the rate follows the concurrency, the consumer waits on round trips, not on a CPU.
    const inProcess: NonNullable<ResultsThroughputSample['consumerConcurrency']> = [];
    await system.stopProcesses();
    const drainHosts = Math.min(n, 5_000);
    for (const concurrency of [64, 256]) {
      const id = await fillResultsQueue(system, drainHosts);
      const consumer = await system.startResults({ SIMPLECM_RESULTS_CONCURRENCY: String(concurrency) });
      const t0 = Date.now();
      const done = await system.waitRunFinished(id, 10 * 60_000);
      inProcess.push({ concurrency, opsPerSecond: (drainHosts * OPERATIONS_PER_HOST) / (((done.finishedAt?.getTime() ?? Date.now()) - t0) / 1000) });
      await system.stopProcesses([consumer]);
    }
    sample.consumerConcurrency = inProcess;
    log(`results: consumer by concurrency: ${inProcess.map((c) => `concurrency ${c.concurrency} ${Math.round(c.opsPerSecond).toLocaleString('en')}/s`).join(', ')}`);
    log(`results: write path alone: ${writePath.map((w) => `${w.shape} ×${w.concurrency} ${Math.round(w.opsPerSecond).toLocaleString('en')}/s`).join(', ')}`);
    log(`results: ${Math.round(sample.opsPerSecond).toLocaleString('en')} operation results/s (${(writeMs / 1000).toFixed(2)} s from ready; consumer CPU ${sample.cpuSeconds.toFixed(1)} s, Cassandra ${infra.cassandra.toFixed(1)} s, Redis ${infra.redis.toFixed(1)} s)`);
    return sample;
  } finally {
    await system.close();
  }
}
