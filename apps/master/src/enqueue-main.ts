import { Queue } from 'bullmq';
import { ConfigError, connectionConfigFromEnv } from '@simplecm/config';
import type { HostJobData } from '@simplecm/domain';
import { loadModules, resolveModulesDir, InvalidOperationError } from '@simplecm/modules';
import { HOSTS_QUEUE, readRunProgress, redisConnection } from '@simplecm/queue';
import { connectCassandra, inventoryStore, newRunId, resultStore, runStore, UnknownHostError, InvalidRowError } from '@simplecm/store';
import { progressReporter } from '@simplecm/terminal';
import { enqueueRun } from './enqueue';
import { compileEnqueueOptions } from './enqueue-options';
import { InvalidDesiredStateError } from './plan-run';
import { formatRecap } from './recap';

/** Exit codes: 0 done (and with --wait, nothing failed); 1 hosts failed; 2 bad input; 3 error. */
async function main(): Promise<number> {
  const options = compileEnqueueOptions(process.argv.slice(2), process.env);
  const config = connectionConfigFromEnv(process.env);
  const modules = loadModules(resolveModulesDir(options.modulesDir));
  const cassandra = await connectCassandra(config.cassandra);
  const redis = redisConnection(config.redis);
  const hostsQueue = new Queue<HostJobData>(HOSTS_QUEUE, { connection: redis, prefix: config.redis.prefix });
  const releasers: Array<() => Promise<unknown>> = [() => cassandra.shutdown(), async () => redis.disconnect(), () => hostsQueue.close()];
  try {
    const ks = config.cassandra.keyspace;
    const inventory = inventoryStore(cassandra, ks);
    const runs = runStore(cassandra, ks);
    const enqueueProgress = progressReporter(process.stderr, { label: 'hosts enqueued' });
    const { runId, hostCount } = await enqueueRun(
      {
        ...inventory,
        modules,
        hostsQueue,
        createRun: runs.createRun,
        newRunId,
        onProgress: (n, total) => enqueueProgress.update({ done: n, failed: 0, total }),
      },
      options.target,
      options.run,
      options.runId,
    );
    enqueueProgress.done();
    console.log(`run ${runId}: ${hostCount} host job(s) enqueued (${options.run.mode})`);
    if (!options.wait) return 0;

    const bar = progressReporter(process.stderr);
    for (;;) {
      const p = await readRunProgress(redis, config.redis.prefix, runId);
      bar.update({ done: p.hostsDone, failed: p.hostsFailed, total: hostCount });
      if (p.hostsDone >= hostCount) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    bar.done();
    const run = await runs.getRun(runId);
    const page = await resultStore(cassandra, ks).pageRunHosts(runId, { pageSize: 100 });
    if (run) console.log(formatRecap(run, page.items, page.nextPage !== undefined));
    const failed = (run?.counts.failed ?? 0) + (run?.counts.unreachable ?? 0);
    return failed > 0 ? 1 : 0;
  } finally {
    for (const release of releasers.reverse()) await release().catch(() => undefined);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known = [ConfigError, InvalidDesiredStateError, InvalidOperationError, UnknownHostError, InvalidRowError].some((k) => error instanceof k);
    console.error(`enqueue: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(known ? 2 : 3);
  },
);
