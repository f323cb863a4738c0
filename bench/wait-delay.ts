/**
 * `npx tsx bench/wait-delay.ts [N]`: how long `simplecm run --wait` takes to exit once its run
 * has ended (issue 17: "--wait should learn of completion by notification, not by polling"), on
 * a stack that is already running: its own keyspace and queue prefix, one worker and one results
 * consumer of its own, N runs of one host (host1, one `file_exists`), one after the other.
 *
 * The run's end is when the results consumer appended the event saying every host is recorded
 * (after writing the runs row): the id of that stream entry is Redis' clock in ms, on this same
 * machine. The exit is when this script sees the `enqueue --wait` process exit. The difference
 * holds learning of the end, reading the run and its hosts from Cassandra, printing the recap
 * and closing the connections. Run it on the code before and after a change to compare.
 */
import { randomUUID } from 'node:crypto';
import { connectionConfigFromEnv } from '@simplecm/config';
import { redisConnection, runEventsKey } from '@simplecm/queue';
import { applySchema, connectCassandra, inventoryStore } from '@simplecm/store';
import { hostAddress, stackEnv, startProcess, stopStarted } from '@simplecm/stack';
import { quantile } from './stats';
import { runMain } from './run-main';

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 20);
  const suffix = randomUUID().replace(/-/g, '').slice(0, 8);
  const keyspace = `bench_wait_${suffix}`;
  const prefix = `bench-wait-${suffix}`;
  const env = { ...stackEnv(keyspace), SIMPLECM_QUEUE_PREFIX: prefix };
  const config = connectionConfigFromEnv(env);
  const cassandra = await connectCassandra(config.cassandra);
  const redis = redisConnection(config.redis);
  const worker = startProcess('worker', ['--name', 'bench-wait'], env);
  const results = startProcess('results-consumer', [], env);
  try {
    await applySchema(cassandra, keyspace, config.cassandra.replication);
    const inventory = inventoryStore(cassandra, keyspace);
    await inventory.putHost({ hostname: 'host1', address: hostAddress(1), port: 22, user: 'root', keyName: 'stack', groups: ['all'], vars: {}, hostKeys: [], become: null });
    await inventory.putOperations('host1', [{ seq: 0, name: 'probe', module: 'file_exists', attributes: { path: '/etc/hostname' } }]);
    const delays: number[] = [];
    for (let i = 0; i < n + 2; i++) {
      const run = startProcess('enqueue', ['--local', '--wait', '--hosts', 'host1'], env);
      const code = await run.exited;
      const exitedAt = Date.now();
      const runId = /run ([0-9a-f-]{36})/.exec(run.output())?.[1];
      if (code !== 0 || !runId) throw new Error(`enqueue --wait exited ${code}: ${run.output()}`);
      const entries = await redis.xrange(runEventsKey(prefix, runId), '-', '+');
      const end = entries.find(([, f]) => f[1] === 'progress' && f[3] === '1');
      if (!end) throw new Error(`run ${runId}: no end event`);
      // The first two warm the worker and the consumer.
      if (i >= 2) delays.push(exitedAt - Number(end[0].split('-')[0]));
    }
    console.log(`| run's end → \`run --wait\` exit | runs | median ms | p90 ms | max ms |\n|---|---|---|---|---|\n| | ${delays.length} | ${quantile(delays, 0.5).toFixed(0)} | ${quantile(delays, 0.9).toFixed(0)} | ${Math.max(...delays).toFixed(0)} |`);
  } finally {
    await Promise.all([stopStarted(worker), stopStarted(results)]);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
    await cassandra.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    await cassandra.shutdown();
  }
}

runMain('wait-delay', main);
