import type { Redis } from 'ioredis';
import { CommandExit, ConfigError, connectionConfigFromEnv, type RedisConfig } from '@simplecm/config';
import type { OperationResult, Run, RunTarget } from '@simplecm/domain';
import { closeAll, errorMessage, type Releaser } from '@simplecm/kernel';
import { loadModules, resolveModulesDir, type ModuleRegistry } from '@simplecm/modules';
import { claimRunKey, HOSTS_QUEUE, partitionQueues, probeRedis, queuePartitionPrefixes, readRunCancel, readRunEvents, readRunProgress, redisConnection, RunRequestRefusedError, type HostJobWire, type RunOptions } from '@simplecm/queue';
import { readHostJobSigner, requireSealKey, type HostJobSigner } from './host-job-signer';
import { connectCassandraWithin, inventoryStore, latestStateRevision, newRunId, resultStore, runStore, type InventoryStore, type ResultStore, type RunHost, type RunStore } from '@simplecm/store';
import { formatOperationOutput, operationDiff, painterFor, progressReporter } from '@simplecm/terminal';
import { enqueueRun, type EnqueuedRun } from './enqueue';
import type { PlanSource } from './plan-run';
import { formatRecap } from './recap';
import { isBadInputError } from './bad-input';
import { waitForRun } from './wait-for-run';
import type { TagSelection } from './select-operations';

/** What `run` and `exec` share: how to reach the services, sign, enqueue, wait and report. */
export interface MasterRunConfig {
  readonly connectTimeoutMs: number;
  readonly run: RunOptions;
  readonly runId: string | undefined;
  readonly runKey: string | undefined;
  readonly connectAttempts: number;
  readonly batchSize: number;
  readonly batchPauseMs: number;
  readonly wait: boolean;
  readonly modulesDir: string | undefined;
  /** Needed only to plan here (`--local`, exec, no master running): a run handed to a master is signed there. */
  readonly signingKeyFile: string | undefined;
  /** The workers' seal public key (SIMPLECM_SEAL_PUBLIC_KEY); like the signing key, needed only to plan here. */
  readonly sealKeyFile: string | undefined;
  readonly jobTtlSeconds: number;
  readonly selection: TagSelection;
  /** `--json`: one JSON object on stdout (see MasterRunJson); every other line goes to stderr. */
  readonly json: boolean;
  /** `--diff`: after the wait, each operation's diff (check mode: what file modules would change). */
  readonly diff: boolean;
}

/** What differs between `run` (the desired state) and `exec` (one ad-hoc operation). */
export interface MasterRunPlan {
  /** The command's name in messages (`enqueue`, `exec`). */
  readonly name: string;
  /** Checked once the modules are loaded, before anything is connected (exec's operation). */
  readonly check?: (modules: ModuleRegistry) => void;
  /** The hosts to run on, read once connected. */
  readonly target: (stores: { readonly runs: RunStore; readonly results: ResultStore }) => Promise<RunTarget>;
  /** The operations each host gets: its desired state, or exec's operation. */
  readonly source: (inventory: InventoryStore) => PlanSource;
  /** Record the newest state revision with the run (not for exec, which converges no state). */
  readonly recordsStateRevision: boolean;
  /** After the wait, each host's operations with their stdout and stderr (exec). */
  readonly showOutput: boolean;
  /**
   * Hands the run to a resident master instead (`run` when one is running): its answer, or
   * undefined to plan here. Called again with the run id after Redis reconnected.
   */
  readonly submit?: (c: {
    readonly redis: Redis;
    readonly redisConfig: RedisConfig;
    readonly prefix: string;
    readonly runId: string | undefined;
    readonly say: (line: string) => void;
  }) => Promise<EnqueuedRun | undefined>;
}

/** `run --json` / `exec --json`: what is printed on stdout, one object. */
export interface MasterRunJson {
  readonly runId: string;
  readonly mode: RunOptions['mode'];
  readonly hostCount: number;
  readonly stateRevision: string | null;
  /** Whether the command waited for the run to end (then `run` and `hosts` are its outcome). */
  readonly waited: boolean;
  readonly run: Run | null;
  /** The first hosts (up to MAX_SHOWN_HOSTS); `moreHosts` says whether there are more. */
  readonly hosts: readonly RunHost[];
  readonly moreHosts: boolean;
  /** With --diff, or for exec: each shown host's operation results. */
  readonly operations: ReadonlyArray<{ readonly hostname: string; readonly operations: readonly OperationResult[] }>;
}

/**
 * `--wait` learns of progress and of the end from the run's events; with none for this long it
 * reads the totals itself (an event lost in a Redis restart delays the end by at most this).
 */
const WAIT_RECHECK_MS = 5_000;

/** Hosts shown after the wait (recap, diffs, outputs); `simplecm results` pages through the rest. */
const MAX_SHOWN_HOSTS = 100;

/**
 * Connects (Redis probed before Cassandra, each within the connect timeout), enqueues the run
 * and, with `wait`, follows it to the end and reports it. Returns the exit code.
 */
export async function runMaster(config: MasterRunConfig, plan: MasterRunPlan): Promise<number> {
  const connection = connectionConfigFromEnv(process.env);
  const modules = loadModules(resolveModulesDir(config.modulesDir));
  plan.check?.(modules);
  // Planning here signs every host job; a run handed to a resident master needs no signing key.
  // Without a submit hook it is surely planned here: the keys are checked before connecting.
  let signer = plan.submit === undefined ? localSigner(modules, config) : undefined;
  // Both services are checked before anything is recorded: a run row is created only once Redis answered.
  await probeRedis(connection.redis, config.connectTimeoutMs);
  // Planning here needs Cassandra before anything else; a run handed to a resident master needs it
  // only for --wait's recap, so submitting does not wait for a connection it may never use.
  let cassandraConnecting: ReturnType<typeof connectCassandraWithin> | undefined;
  const cassandraClient = () => (cassandraConnecting ??= connectCassandraWithin(connection.cassandra, config.connectTimeoutMs));
  if (plan.submit === undefined) await cassandraClient();
  const redis = redisConnection(connection.redis);
  // One hosts queue per queue partition (K = 1: the one under the prefix).
  const hostsQueue = partitionQueues<HostJobWire>(redis, connection.redis, HOSTS_QUEUE);
  const releasers: Releaser[] = [
    async () => (cassandraConnecting ? (await cassandraConnecting).shutdown() : undefined),
    () => redis.disconnect(),
    () => Promise.all(hostsQueue.map((q) => q.close())),
  ];
  // With --json, stdout holds the JSON alone.
  const say = (line: string) => (config.json ? console.error(line) : console.log(line));
  try {
    const ks = connection.cassandra.keyspace;
    const stores = async () => {
      const cassandra = await cassandraClient();
      return { cassandra, runs: runStore(cassandra, ks), results: resultStore(cassandra, ks) };
    };
    const prefix = connection.redis.prefix;
    // A resident master takes the run when one is running (simplecm run); else it is planned here.
    const submitted = await plan.submit?.({ redis, redisConfig: connection.redis, prefix, runId: undefined, say });
    // Not submitted: planned here, so Cassandra is needed now (and is checked before anything is recorded).
    const { cassandra, runs, results } = submitted ? { cassandra: undefined, runs: undefined, results: undefined } : await stores();
    const target = submitted ? { kind: 'all' as const } : await plan.target({ runs: runs!, results: results! });
    const enqueueProgress = progressReporter(process.stderr, { label: 'hosts enqueued' });
    const runKey = config.runKey;
    // What planning here needs (never called for a run a master planned).
    const localDeps = () => ({
      ...plan.source(inventoryStore(cassandra!, ks)),
      modules,
      hostsQueue,
      signer: (signer ??= localSigner(modules, config)),
      createRun: runs!.createRun,
      newRunId,
      claimRunId: runKey === undefined ? undefined : async (candidate: string) => (await claimRunKey(redis, connection.redis.prefix, runKey, candidate)).runId,
      onProgress: (n: number, total: number) => enqueueProgress.update({ done: n, failed: 0, total }),
      latestStateRevision: plan.recordsStateRevision ? async () => (await latestStateRevision(cassandra!, ks))?.revisionId ?? null : undefined,
      isCancelled: async (id: string) => (await readRunCancel(redis, prefix, id)) !== undefined,
    });
    const settings = { connectAttempts: config.connectAttempts, batchSize: config.batchSize, batchPauseMs: config.batchPauseMs, selection: config.selection };
    const { runId, hostCount, stateRevision } =
      submitted ??
      (await enqueueRun(
        // Printed before any job is added: a master killed half-way can be resumed with --run-id (or its --run-key).
        { ...localDeps(), onRunCreated: (id, n) => say(`run ${id}: enqueuing ${n} host job(s)`) },
        target,
        config.run,
        { ...settings, runId: config.runId },
      ));
    enqueueProgress.done();
    say(`run ${runId}: ${hostCount} host job(s) enqueued (${config.run.mode}, state revision ${stateRevision ?? 'none'})`);
    const summary = { runId, mode: config.run.mode, hostCount, stateRevision };
    if (!config.wait) {
      if (config.json) console.log(JSON.stringify({ ...summary, waited: false, run: null, hosts: [], moreHosts: false, operations: [] } satisfies MasterRunJson));
      return CommandExit.ok;
    }

    // Redis may restart while we wait (its AOF keeps all but the last second): keep waiting, and
    // after a reconnection add the run's jobs again — job ids make that a no-op for every job
    // Redis kept, and workers skip a host whose result was already handed off.
    let reconnected = false;
    let outage = false;
    const noteOutage = (error: unknown) => {
      if (!outage) console.error(`${plan.name}: waiting for Redis (${errorMessage(error)}); still waiting`);
      outage = true;
    };
    redis.on('error', noteOutage);
    redis.on('ready', () => (reconnected = true));
    // The run's events are read with XREAD BLOCK, which holds its connection: one of its own.
    const events = redisConnection(connection.redis, { blocking: true });
    // The recap reads Cassandra: connect while the hosts run (an error surfaces when it is read).
    cassandraClient().catch(() => undefined);
    events.on('error', noteOutage);
    releasers.push(() => events.disconnect());
    const bar = progressReporter(process.stderr);
    await waitForRun(
      {
        check: async () => {
          const [progress, cancel] = await Promise.all([readRunProgress(redis, queuePartitionPrefixes(connection.redis), runId), readRunCancel(redis, prefix, runId)]);
          outage = false;
          return { progress, cancel };
        },
        next: (afterId, blockMs) => readRunEvents(events, prefix, runId, afterId, blockMs),
      },
      hostCount,
      {
        recheckMs: WAIT_RECHECK_MS,
        retryMs: 250,
        onProgress: (done, failed) => bar.update({ done, failed, total: hostCount }),
        onError: noteOutage,
        beforeLook: async () => {
          if (!reconnected) return;
          reconnected = false;
          if (submitted) await plan.submit?.({ redis, redisConfig: connection.redis, prefix, runId, say });
          else await enqueueRun({ ...localDeps(), onProgress: undefined }, target, config.run, { ...settings, runId });
          console.error(`${plan.name}: Redis reconnected; the jobs of run ${runId} are all there`);
        },
      },
    );
    bar.done();
    const recap = await stores();
    const run = (await recap.runs.getRun(runId)) ?? null;
    const page = await recap.results.pageRunHosts(runId, { pageSize: MAX_SHOWN_HOSTS });
    const detailed = plan.showOutput || config.diff;
    const operations = detailed ? await Promise.all(page.items.map(async (h) => ({ hostname: h.hostname, operations: await recap.results.getOperationResults(runId, h.hostname) }))) : [];
    if (config.json) {
      console.log(JSON.stringify({ ...summary, waited: true, run, hosts: page.items, moreHosts: page.nextPage !== undefined, operations } satisfies MasterRunJson));
    } else {
      const paint = painterFor(process.stdout, process.env);
      const blocks = operations.flatMap(({ hostname, operations: ops }) =>
        ops.filter((op) => plan.showOutput || operationDiff(op) !== undefined).map((op) => formatOperationOutput(hostname, op, { paint, output: plan.showOutput, diff: config.diff })),
      );
      if (config.diff && !plan.showOutput && blocks.length === 0) blocks.push(config.run.mode === 'check' ? 'no file would change (no diff)' : 'no diff: diffs are computed in check mode (--check)');
      if (blocks.length > 0) console.log(`${blocks.join('\n\n')}\n`);
      if (run) console.log(formatRecap(run, page.items, page.nextPage !== undefined, paint));
    }
    const failed = (run?.counts.failed ?? 0) + (run?.counts.unreachable ?? 0) + (run?.counts.rejected ?? 0);
    return failed > 0 ? CommandExit.hostsFailed : CommandExit.ok;
  } finally {
    // The outcome (or the error that ended it) is what this command reports, not a failed clean-up.
    await closeAll(releasers).catch(() => undefined);
  }
}

/**
 * The signer (and sealer) of host jobs planned in this process. Without SIMPLECM_JOB_SIGNING_KEY
 * (or SIMPLECM_SEAL_PUBLIC_KEY) that is bad input (exit 2, one line): only a resident master can
 * plan the run then.
 */
function localSigner(modules: ModuleRegistry, config: MasterRunConfig): HostJobSigner {
  if (config.signingKeyFile === undefined) {
    throw new ConfigError('SIMPLECM_JOB_SIGNING_KEY is not set: planning in this process (--local, or no resident master running) signs every host job with it; set it, or submit to a running `simplecm master`');
  }
  return readHostJobSigner(modules, { signingKeyFile: config.signingKeyFile, sealKeyFile: requireSealKey(config.sealKeyFile), jobTtlSeconds: config.jobTtlSeconds });
}

/**
 * Runs a master command's main and exits with its code; an error is bad input (exit 2, the whole
 * message) when the operator must fix what they gave, else infrastructure (exit 3, first line).
 */
export function exitWith(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      const badInput = isBadInputError(error) || (error instanceof RunRequestRefusedError && error.badInput);
      console.error(`${name}: ${errorMessage(error).split('\n').slice(0, badInput ? undefined : 1).join('\n')}`);
      process.exit(badInput ? CommandExit.badInput : CommandExit.unavailable);
    },
  );
}
