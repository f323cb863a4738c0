import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Queue } from 'bullmq';
import { CommandExit, connectionConfigFromEnv, wantsHelp } from '@simplecm/config';
import { loadModules, resolveModulesDir } from '@simplecm/modules';
import { HOSTS_QUEUE, jobSigner, liveMasters, probeRedis, readRunCancel, readRunProgress, redisConnection, type HostJobData } from '@simplecm/queue';
import { connectCassandraWithin, resultStore, runStore, type CassandraClient } from '@simplecm/store';
import { progressReporter } from '@simplecm/terminal';
import { closeAll, errorMessage, type Releaser } from '@simplecm/kernel';
import { isBadInputError } from './bad-input';
import { compileEnqueueOptions, enqueueHelp } from './enqueue-options';
import { formatRecap } from './recap';
import { createRunPlanner, type RunPlan } from './run-planner';
import { RunRequestRefusedError, submitRunRequest } from './submit-run-request';

/**
 * Exit codes (EXIT_CODES_HELP): 0 done (and with --wait, nothing failed); 1 hosts failed; 2 bad
 * input or empty target; 3 Redis or Cassandra unavailable.
 *
 * When a resident master is running (`simplecm master`, seen by its heartbeat) the run is
 * submitted to it as a run request; with `--local`, or when none is running, it is planned in
 * this process as before.
 */
async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (wantsHelp(argv)) {
    process.stdout.write(enqueueHelp(process.env.SIMPLECM_COMMAND_NAME === undefined ? undefined : `${process.env.SIMPLECM_COMMAND_NAME} [options]`));
    return 0;
  }
  const options = compileEnqueueOptions(argv, process.env);
  const config = connectionConfigFromEnv(process.env);
  const signingKey = readFileSync(options.signingKeyFile);
  // Both services are checked before anything is recorded: a run row is created only once Redis answered.
  await probeRedis(config.redis, options.connectTimeoutMs);
  const redis = redisConnection(config.redis);
  const releasers: Releaser[] = [() => redis.disconnect()];
  let cassandra: CassandraClient | undefined;
  const connectStore = async (): Promise<CassandraClient> => {
    if (cassandra) return cassandra;
    const client = await connectCassandraWithin(config.cassandra, options.connectTimeoutMs);
    releasers.push(() => client.shutdown());
    return (cassandra = client);
  };
  try {
    const plan: RunPlan = {
      target: options.target,
      rerunFailed: options.rerunFailed,
      runId: options.runId,
      runKey: options.runKey,
      options: options.run,
      selection: options.selection,
      connectAttempts: options.connectAttempts,
    };
    const masters = options.local ? [] : await liveMasters(redis, config.redis.prefix);
    let enqueueAgain: (runId: string) => Promise<void>;
    let enqueued: { runId: string; hostCount: number; stateRevision: string | null };
    if (masters.length > 0) {
      const requestId = options.runKey ?? randomUUID();
      const blocking = redisConnection(config.redis, { blocking: true });
      releasers.push(() => blocking.disconnect());
      const submit = (runId?: string) => submitRunRequest({ redis, blocking }, config.redis.prefix, { ...plan, runId: runId ?? plan.runId }, { requestId, source: 'cli' });
      console.log(`request ${requestId}: submitted to the masters (${masters.length} running)`);
      enqueued = await submit();
      enqueueAgain = async (runId) => void (await submit(runId));
    } else {
      const store = await connectStore();
      const hostsQueue = new Queue<HostJobData>(HOSTS_QUEUE, { connection: redis, prefix: config.redis.prefix });
      releasers.push(() => hostsQueue.close());
      const planner = createRunPlanner(
        {
          cassandra: store,
          keyspace: config.cassandra.keyspace,
          redis,
          prefix: config.redis.prefix,
          hostsQueue,
          modules: loadModules(resolveModulesDir(options.modulesDir)),
          signer: jobSigner(signingKey, options.jobTtlSeconds * 1000),
        },
        { batchSize: options.batchSize, batchPauseMs: options.batchPauseMs },
      );
      const enqueueProgress = progressReporter(process.stderr, { label: 'hosts enqueued' });
      enqueued = await planner.plan(plan, {
        // Printed before any job is added: a master killed half-way can be resumed with --run-id (or its --run-key).
        onRunCreated: (id, n) => console.log(`run ${id}: enqueuing ${n} host job(s)`),
        onProgress: (n, total) => enqueueProgress.update({ done: n, failed: 0, total }),
      });
      enqueueProgress.done();
      enqueueAgain = async (runId) => void (await planner.plan({ ...plan, runId, runKey: undefined }));
    }
    const { runId, hostCount, stateRevision } = enqueued;
    console.log(`run ${runId}: ${hostCount} host job(s) enqueued (${options.run.mode}, state revision ${stateRevision ?? 'none'})`);
    if (!options.wait) return 0;
    return await waitForRun({ redis, prefix: config.redis.prefix, keyspace: config.cassandra.keyspace, connectStore, enqueueAgain }, runId, hostCount);
  } finally {
    // The outcome (or the error that ended it) is what this command reports, not a failed clean-up.
    await closeAll(releasers).catch(() => undefined);
  }
}

interface WaitDeps {
  readonly redis: ReturnType<typeof redisConnection>;
  readonly prefix: string;
  readonly keyspace: string;
  readonly connectStore: () => Promise<CassandraClient>;
  /** Adds the run's jobs again (after Redis restarted): a no-op for every job Redis kept. */
  readonly enqueueAgain: (runId: string) => Promise<void>;
}

/** `--wait`: progress until every host is done, then the recap; 1 when a host failed. */
async function waitForRun(deps: WaitDeps, runId: string, hostCount: number): Promise<number> {
  const { redis, prefix } = deps;
  const cassandra = await deps.connectStore();
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
        await deps.enqueueAgain(runId);
        console.error(`enqueue: Redis reconnected; the jobs of run ${runId} are all there`);
      }
      const [p, cancel] = await Promise.all([readRunProgress(redis, prefix, runId), readRunCancel(redis, prefix, runId)]);
      outage = false;
      bar.update({ done: p.hostsDone, failed: p.hostsFailed, total: hostCount });
      if (p.hostsDone >= hostCount) break;
      // Cancelled (simplecm cancel): the hosts taken out will never be done.
      if (cancel?.state === 'cancelled' && p.hostsDone + cancel.hostsCancelled >= hostCount) break;
    } catch (error) {
      noteOutage(error);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  bar.done();
  const runs = runStore(cassandra, deps.keyspace);
  const run = await runs.getRun(runId);
  const page = await resultStore(cassandra, deps.keyspace).pageRunHosts(runId, { pageSize: 100 });
  if (run) console.log(formatRecap(run, page.items, page.nextPage !== undefined));
  const failed = (run?.counts.failed ?? 0) + (run?.counts.unreachable ?? 0);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const badInput = isBadInputError(error) || (error instanceof RunRequestRefusedError && error.badInput);
    console.error(`enqueue: ${errorMessage(error).split('\n').slice(0, badInput ? undefined : 1).join('\n')}`);
    process.exit(badInput ? CommandExit.badInput : CommandExit.unavailable);
  },
);
