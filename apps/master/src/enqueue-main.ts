import { readFileSync } from 'node:fs';
import { Queue } from 'bullmq';
import { ConfigError, connectionConfigFromEnv } from '@simplecm/config';
import { loadModules, resolveModulesDir } from '@simplecm/modules';
import { claimRunKey, HOSTS_QUEUE, jobSigner, readRunProgress, redisConnection, type HostJobData } from '@simplecm/queue';
import { connectCassandra, inventoryStore, latestStateRevision, newRunId, resultStore, runStore } from '@simplecm/store';
import { progressReporter } from '@simplecm/terminal';
import { closeAll, errorMessage, type Releaser } from '@simplecm/kernel';
import { enqueueRun } from './enqueue';
import { compileEnqueueOptions } from './enqueue-options';
import { InvalidDesiredStateError, isDesiredStateProblem } from './plan-run';
import { formatRecap } from './recap';

/** Exit codes: 0 done (and with --wait, nothing failed); 1 hosts failed; 2 bad input; 3 error. */
async function main(): Promise<number> {
  const options = compileEnqueueOptions(process.argv.slice(2), process.env);
  const config = connectionConfigFromEnv(process.env);
  const modules = loadModules(resolveModulesDir(options.modulesDir));
  const signer = jobSigner(readFileSync(options.signingKeyFile), options.jobTtlSeconds * 1000);
  const cassandra = await connectCassandra(config.cassandra);
  const redis = redisConnection(config.redis);
  const hostsQueue = new Queue<HostJobData>(HOSTS_QUEUE, { connection: redis, prefix: config.redis.prefix });
  const releasers: Releaser[] = [() => cassandra.shutdown(), () => redis.disconnect(), () => hostsQueue.close()];
  try {
    const ks = config.cassandra.keyspace;
    const inventory = inventoryStore(cassandra, ks);
    const runs = runStore(cassandra, ks);
    const enqueueProgress = progressReporter(process.stderr, { label: 'hosts enqueued' });
    const runKey = options.runKey;
    const deps = {
      ...inventory,
      modules,
      hostsQueue,
      signer,
      createRun: runs.createRun,
      newRunId,
      claimRunId: runKey === undefined ? undefined : async (candidate: string) => (await claimRunKey(redis, config.redis.prefix, runKey, candidate)).runId,
      onProgress: (n: number, total: number) => enqueueProgress.update({ done: n, failed: 0, total }),
      latestStateRevision: async () => (await latestStateRevision(cassandra, ks))?.revisionId ?? null,
    };
    const settings = { connectAttempts: options.connectAttempts, batchSize: options.batchSize, batchPauseMs: options.batchPauseMs, selection: options.selection };
    const { runId, hostCount, stateRevision } = await enqueueRun(
      // Printed before any job is added: a master killed half-way can be resumed with --run-id (or its --run-key).
      { ...deps, onRunCreated: (id, n) => console.log(`run ${id}: enqueuing ${n} host job(s)`) },
      options.target,
      options.run,
      { ...settings, runId: options.runId },
    );
    enqueueProgress.done();
    console.log(`run ${runId}: ${hostCount} host job(s) enqueued (${options.run.mode}, state revision ${stateRevision ?? 'none'})`);
    if (!options.wait) return 0;

    // Redis may restart while we wait (its AOF keeps all but the last second): keep polling, and
    // after a reconnection add the run's jobs again — job ids make that a no-op for every job
    // Redis kept, and workers skip a host whose result was already handed off.
    let reconnected = false;
    let outage = false;
    const noteOutage = (error: unknown) => {
      if (!outage) console.error(`enqueue: waiting for Redis (${errorMessage(error)}); still polling`);
      outage = true;
    };
    redis.on('error', noteOutage);
    redis.on('ready', () => (reconnected = true));
    const bar = progressReporter(process.stderr);
    for (;;) {
      try {
        if (reconnected) {
          reconnected = false;
          await enqueueRun({ ...deps, onProgress: undefined }, options.target, options.run, { ...settings, runId });
          console.error(`enqueue: Redis reconnected; the jobs of run ${runId} are all there`);
        }
        const p = await readRunProgress(redis, config.redis.prefix, runId);
        outage = false;
        bar.update({ done: p.hostsDone, failed: p.hostsFailed, total: hostCount });
        if (p.hostsDone >= hostCount) break;
      } catch (error) {
        noteOutage(error);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    bar.done();
    const run = await runs.getRun(runId);
    const page = await resultStore(cassandra, ks).pageRunHosts(runId, { pageSize: 100 });
    if (run) console.log(formatRecap(run, page.items, page.nextPage !== undefined));
    const failed = (run?.counts.failed ?? 0) + (run?.counts.unreachable ?? 0);
    return failed > 0 ? 1 : 0;
  } finally {
    // The outcome (or the error that ended it) is what this command reports, not a failed clean-up.
    await closeAll(releasers).catch(() => undefined);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known = error instanceof ConfigError || error instanceof InvalidDesiredStateError || isDesiredStateProblem(error);
    console.error(`enqueue: ${errorMessage(error)}`);
    process.exit(known ? 2 : 3);
  },
);
