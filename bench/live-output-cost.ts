/**
 * Cost of live output in the worker, in µs of CPU per operation: what a worker adds when it
 * publishes each operation's result to the run's live output stream as its frame arrives
 * (toLiveOperation, JSON, the batched XADD MAXLEN ~ (+ EXPIRE once a minute) through ioredis,
 * the replies read). Operations are sent `perFlush` at a time, as the publisher's 100 ms
 * window gathers them: 24 is the 200-host warm run's rate (2,000 operations in 8.34 s); 1 is
 * the worst case (every operation alone in its window). Making the result itself is not added: it is made once as the frame arrives and the
 * host's result reuses it. Then the share of the worker's CPU of a run of RUN_HOSTS hosts of 10
 * operations that used `workerCpuS` (default: the 200-host warm row of docs/performance.md,
 * 1 worker: 1.23 s).
 * Needs Redis (SIMPLECM_REDIS_URL, the stack's by default); writes under a prefix of its own,
 * removed at the end.
 * Run: npx tsx bench/live-output-cost.ts [operations] [hosts workerCpuS]
 * (default 20000 operations; stdout of 500 bytes, then of 64 KiB (cut to 4096 characters);
 * 24 and 1 per window; one pass to warm up, then one measured).
 */
import { randomUUID } from 'node:crypto';
import { connectionConfigFromEnv } from '@simplecm/config';
import type { OperationResult } from '@simplecm/domain';
import { liveOutputKey, liveOutputPublisher, redisConnection } from '@simplecm/queue';
import { stackEnv } from '@simplecm/stack';

const operations = Number(process.argv[2] ?? 20_000);
const [runHosts, workerCpuS] = [200, 1.23].map((fallback, i) => Number(process.argv[3 + i] ?? fallback)) as [number, number];
const OPS_PER_HOST = 10;
const RUN = '6f1c2d3e-1a2b-11f0-8a3b-0242ac120002';

const redisConfig = connectionConfigFromEnv({ ...stackEnv('unused'), ...process.env }).redis;
const prefix = `bench-live-${randomUUID().slice(0, 8)}`;
const redis = redisConnection(redisConfig);
const publisher = liveOutputPublisher(redis, prefix);

const result = (seq: number, stdoutBytes: number): OperationResult => ({
  seq,
  name: `op${seq}`,
  module: 'file_content',
  status: 'ok',
  exitCode: 0,
  stdout: 'y'.repeat(stdoutBytes),
  stdoutTruncated: false,
  stderr: '',
  stderrTruncated: false,
  changes: [],
  startedAt: 1,
  durationMs: 1,
});

/** CPU µs of publishing `operations` results, `perFlush` per window, hosts of ten operations. */
async function measure(stdoutBytes: number, perFlush: number): Promise<number> {
  const inputs = Array.from({ length: OPS_PER_HOST }, (_, seq) => result(seq, stdoutBytes));
  const start = process.cpuUsage();
  for (let i = 0; i < operations; i++) {
    publisher.publish(RUN, `web${Math.floor(i / OPS_PER_HOST)}`, inputs[i % OPS_PER_HOST] as OperationResult);
    if ((i + 1) % perFlush === 0) await publisher.flush();
  }
  await publisher.flush();
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

async function main(): Promise<void> {
  try {
    await redis.ping();
    for (const perFlush of [24, 1]) {
      for (const bytes of [500, 64 * 1024]) {
        await measure(bytes, perFlush); // JIT and connection out of the way, as in a worker that has run a while
        await redis.del(liveOutputKey(prefix, RUN));
        const us = await measure(bytes, perFlush);
        const perOp = us / operations;
        const runMs = (perOp * OPS_PER_HOST * runHosts) / 1000;
        console.log(`${perFlush} per window, stdout ${bytes} B: ${perOp.toFixed(1)} µs CPU per operation; a ${runHosts}-host run of ${OPS_PER_HOST} operations: ${runMs.toFixed(1)} ms = ${((runMs / 1000 / workerCpuS) * 100).toFixed(1)} % of the worker's ${workerCpuS} s`);
        await redis.del(liveOutputKey(prefix, RUN));
      }
    }
  } finally {
    await redis.del(liveOutputKey(prefix, RUN)).catch(() => undefined);
    redis.disconnect();
  }
}

void main();
