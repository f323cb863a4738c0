import { readFileSync } from 'node:fs';
import { Queue } from 'bullmq';
import { CommandExit, ConfigError, connectionConfigFromEnv, wantsHelp } from '@simplecm/config';
import { troubledHostStatuses, type HostStatus, type RunTarget } from '@simplecm/domain';
import { loadModules, resolveModulesDir } from '@simplecm/modules';
import { claimRunKey, HOSTS_QUEUE, jobSigner, probeRedis, readRunProgress, redisConnection, type HostJobData } from '@simplecm/queue';
import { connectCassandraWithin, inventoryStore, latestStateRevision, newRunId, resultStore, runStore } from '@simplecm/store';
import { progressReporter } from '@simplecm/terminal';
import { closeAll, errorMessage, type Releaser } from '@simplecm/kernel';
import { EmptyTargetError, enqueueRun } from './enqueue';
import { compileEnqueueOptions, enqueueHelp } from './enqueue-options';
import { InvalidDesiredStateError, isDesiredStateProblem } from './plan-run';
import { formatRecap } from './recap';

/** Exit codes (EXIT_CODES_HELP): 0 done (and with --wait, nothing failed); 1 hosts failed; 2 bad input or empty target; 3 Redis or Cassandra unavailable. */
async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (wantsHelp(argv)) {
    process.stdout.write(enqueueHelp(process.env.SIMPLECM_COMMAND_NAME === undefined ? undefined : `${process.env.SIMPLECM_COMMAND_NAME} [options]`));
    return 0;
  }
  const options = compileEnqueueOptions(argv, process.env);
  const config = connectionConfigFromEnv(process.env);
  const modules = loadModules(resolveModulesDir(options.modulesDir));
  const signer = jobSigner(readFileSync(options.signingKeyFile), options.jobTtlSeconds * 1000);
  // Both services are checked before anything is recorded: a run row is created only once Redis answered.
  await probeRedis(config.redis, options.connectTimeoutMs);
  const cassandra = await connectCassandraWithin(config.cassandra, options.connectTimeoutMs);
  const redis = redisConnection(config.redis);
  const hostsQueue = new Queue<HostJobData>(HOSTS_QUEUE, { connection: redis, prefix: config.redis.prefix });
  const releasers: Releaser[] = [() => cassandra.shutdown(), () => redis.disconnect(), () => hostsQueue.close()];
  try {
    const ks = config.cassandra.keyspace;
    const inventory = inventoryStore(cassandra, ks);
    const runs = runStore(cassandra, ks);
    const target = options.rerunFailed === undefined ? options.target : await failedHostsOf(options.rerunFailed, runs.getRun, resultStore(cassandra, ks).pageRunHosts);
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
      target,
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
          await enqueueRun({ ...deps, onProgress: undefined }, target, options.run, { ...settings, runId });
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
    const failed = (run?.counts.failed ?? 0) + (run?.counts.unreachable ?? 0) + (run?.counts.rejected ?? 0);
    return failed > 0 ? 1 : 0;
  } finally {
    // The outcome (or the error that ended it) is what this command reports, not a failed clean-up.
    await closeAll(releasers).catch(() => undefined);
  }
}

/** The hosts that failed, were unreachable or had their job rejected in run `runId`, as a target; an EmptyTargetError when there are none. */
async function failedHostsOf(
  runId: string,
  getRun: (runId: string) => Promise<unknown>,
  pageRunHosts: (runId: string, o: { pageSize: number; page?: string; status: HostStatus }) => Promise<{ items: ReadonlyArray<{ hostname: string }>; nextPage?: string }>,
): Promise<RunTarget> {
  if ((await getRun(runId)) === undefined) throw new ConfigError(`--rerun-failed: there is no run ${runId}`);
  const hosts: string[] = [];
  for (const status of troubledHostStatuses) {
    let page: string | undefined;
    do {
      const p = await pageRunHosts(runId, { pageSize: 500, page, status });
      hosts.push(...p.items.map((h) => h.hostname));
      page = p.nextPage;
    } while (page !== undefined);
  }
  if (hosts.length === 0) throw new EmptyTargetError(`--rerun-failed: run ${runId} has no failed, unreachable or rejected host; nothing was recorded or enqueued`);
  return { kind: 'hosts', hosts: [...new Set(hosts)].sort() };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const badInput = error instanceof ConfigError || error instanceof InvalidDesiredStateError || error instanceof EmptyTargetError || isDesiredStateProblem(error);
    console.error(`enqueue: ${errorMessage(error).split('\n').slice(0, badInput ? undefined : 1).join('\n')}`);
    process.exit(badInput ? CommandExit.badInput : CommandExit.unavailable);
  },
);
