/**
 * `npx tsx bench/master-latency.ts [N]`: submit-to-first-host-job latency (issue 17), on a stack
 * that is already running (nothing is started or stopped but this script's own master): the time
 * from adding a run request of one host to its host job being in the hosts queue, through a warm
 * resident master, against the one-shot `enqueue --local` process (spawn, connect, plan). Uses
 * its own keyspace and queue prefix, and no worker: the host jobs are never run.
 */
import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents } from 'bullmq';
import { connectionConfigFromEnv } from '@simplecm/config';
import { HOST_JOB_ATTEMPTS, HOSTS_QUEUE, liveMasters, redisConnection, RUN_REQUESTS_QUEUE, runRequestJobOptions, type RunRequest } from '@simplecm/queue';
import { applySchema, connectCassandra, inventoryStore } from '@simplecm/store';
import { hostAddress, stackEnv, startProcess, stopStarted } from '@simplecm/stack';
import { quantile } from './stats';
import { runMain } from './run-main';

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 30);
  const suffix = randomUUID().replace(/-/g, '').slice(0, 8);
  const keyspace = `bench_master_${suffix}`;
  const prefix = `bench-master-${suffix}`;
  const env = { ...stackEnv(keyspace), SIMPLECM_QUEUE_PREFIX: prefix };
  const config = connectionConfigFromEnv(env);
  const cassandra = await connectCassandra(config.cassandra);
  await applySchema(cassandra, keyspace, config.cassandra.replication);
  const inventory = inventoryStore(cassandra, keyspace);
  await inventory.putHost({ hostname: 'host1', address: hostAddress(1), port: 22, user: 'root', keyName: 'stack', groups: ['all'], vars: {}, hostKeys: [], become: null });
  await inventory.putOperations('host1', [{ seq: 0, name: 'probe', module: 'file_exists', attributes: { path: '/etc/hostname' } }]);
  const redis = redisConnection(config.redis);
  const blocking = redisConnection(config.redis, { blocking: true });
  const requests = new Queue<RunRequest>(RUN_REQUESTS_QUEUE, { connection: redis, prefix });
  const hostEvents = new QueueEvents(HOSTS_QUEUE, { connection: blocking, prefix });
  await hostEvents.waitUntilReady();
  let nextJob: (() => void) | undefined;
  hostEvents.on('waiting', () => nextJob?.());
  const firstJob = () => new Promise<void>((resolve) => (nextJob = resolve));
  const master = startProcess('master', ['--name', 'bench'], env);
  try {
    while ((await liveMasters(redis, prefix)).length === 0) await new Promise((r) => setTimeout(r, 100));
    const viaMaster: number[] = [];
    for (let i = 0; i < n + 3; i++) {
      const requestId = randomUUID();
      const seen = firstJob();
      const t0 = performance.now();
      await requests.add(
        'run',
        { requestId, target: { kind: 'hosts', hosts: ['host1'] }, options: { mode: 'check', keepGoing: false, operationTimeoutSeconds: 60 }, selection: {}, connectAttempts: HOST_JOB_ATTEMPTS, source: 'bench', submittedAt: Date.now() },
        runRequestJobOptions(requestId),
      );
      await seen;
      // The first three warm the master (statements prepared, code paths compiled).
      if (i >= 3) viaMaster.push(performance.now() - t0);
    }
    const oneShot: number[] = [];
    for (let i = 0; i < Math.min(n, 5); i++) {
      const seen = firstJob();
      const t0 = performance.now();
      const run = startProcess('enqueue', ['--local', '--hosts', 'host1', '--check'], env);
      await seen;
      oneShot.push(performance.now() - t0);
      await run.exited;
    }
    const row = (label: string, xs: number[]) => `| ${label} | ${xs.length} | ${quantile(xs, 0.5).toFixed(1)} | ${quantile(xs, 0.9).toFixed(1)} |`;
    console.log(['| submit → first host job in Redis | runs | median ms | p90 ms |', '|---|---|---|---|', row('warm resident master', viaMaster), row('one-shot enqueue --local (process)', oneShot)].join('\n'));
  } finally {
    await stopStarted(master);
    await Promise.allSettled([hostEvents.close(), requests.close()]);
    redis.disconnect();
    blocking.disconnect();
    await cassandra.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    await cassandra.shutdown();
  }
}

runMain('master-latency', main);
