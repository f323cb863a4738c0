import { DelayedError, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { RedisConfig } from '@simplecm/config';
import { assertNever } from '@simplecm/domain';
import { closeAll, coerceError } from '@simplecm/kernel';
import { loadModules, resolveModulesDir } from '@simplecm/modules';
import {
  cappedBackoffStrategy,
  closeTogether,
  concurrencyShares,
  HOSTS_QUEUE,
  partitionCount,
  hostJobReader,
  handOffResult,
  hostLocks,
  isResultHandedOff,
  jobVerifier,
  liveOutputPublisher,
  parseHostJobPayload,
  readPemKeys,
  readPublicKeys,
  readResultKey,
  resultSealer,
  redisConnection,
  resultJobId,
  servedQueuePartitions,
  valueOpener,
  type HostJobData,
  type ResultJobData,
} from '@simplecm/queue';
import { hostKeyPolicy, loadKnownHosts } from '@simplecm/ssh';
import { boundedClose, isConnectionError, type OutageReporter, type ProcessMetrics } from '@simplecm/telemetry';
import { convergeHost, rejectedResult, type ConvergeContext } from './converge-host';
import { keyReader } from './key-reader';
import { processHostJob, recordGivenUp, type HostJobSteps } from './process-host-job';
import type { WorkerConfig } from './worker-options';

export type HostWorkerState = 'running' | 'closing' | 'closed';

export interface HostWorker {
  readonly state: () => HostWorkerState;
  /** Stops taking jobs, lets running hosts finish (or hands them back), closes connections. Safe to call twice. */
  close(): Promise<void>;
}

/** How long past the grace period a worker whose Redis answers waits for its hosts to be handed back. */
const HAND_BACK_MS = 15_000;

/** Base delay between connection attempts of a host when the job names none. */
const CONNECT_RETRY_BASE_MS = 2_000;

/** What the worker reports to operators besides its log lines; each part optional (tests, the demo). */
export interface WorkerTelemetry {
  /** Counts hosts by status, times operations and SSH connections. */
  readonly metrics?: ProcessMetrics;
  /** Told when Redis fails or answers; logs each outage once. */
  readonly redisOutage?: OutageReporter;
  /** One structured line per finished host (run id, host, status). */
  readonly hostFinished?: (result: ResultJobData['result']) => void;
}

/** What converging needs, resolved once per worker process from its options. */
/** What a failure to publish live output tells: logged once until publishing works again (the results still carry every operation). */
function liveOutcomeLog(log: (line: string) => void): (error: Error | undefined) => void {
  let failing = false;
  return (error) => {
    if (error && !failing) log(`live output not published (the results still carry it): ${error.message}`);
    if (!error && failing) log('live output: publishing again');
    failing = error !== undefined;
  };
}

function convergeContext(options: WorkerConfig, log: (line: string) => void, metrics?: ProcessMetrics, onOperation?: ConvergeContext['onOperation']): ConvergeContext {
  return {
    modules: loadModules(resolveModulesDir(options.modulesDir)),
    hostKeys: hostKeyPolicy(loadKnownHosts(options.knownHostsFile), {
      acceptNewKeysFile: options.acceptNewHostKeys ? options.knownHostsFile : undefined,
      log,
    }),
    privateKey: keyReader(options.keysDir),
    connectTimeoutMs: options.connectTimeoutMs,
    hostDeadlineMs: options.hostDeadlineMs,
    outputLimitBytes: options.outputLimitBytes,
    workerName: options.name,
    log,
    onOperation,
    onConnected: metrics ? (ms) => metrics.sshConnectSeconds.observe(ms / 1000) : undefined,
  };
}

/** A host's outcome in the worker's metrics: one count by status, one observation per operation that ran. */
function observeHost(metrics: ProcessMetrics, result: ResultJobData['result']): void {
  metrics.hostsTotal.inc({ status: result.status });
  for (const op of result.operations) {
    if (op.startedAt !== null) metrics.operationSeconds.observe({ module: op.module, status: op.status }, op.durationMs / 1000);
  }
}

/**
 * The host worker: BullMQ wiring around processHostJob (process-host-job.ts), which says what
 * happens to each host job. Here: the hosts queue's Worker and the result stream, what each
 * outcome means to BullMQ (a busy host is moved to delayed for `busyRetryMs` without using an
 * attempt, a host handed back at shutdown to waiting), a job given up recorded, and close().
 * With queue partitions (SIMPLECM_QUEUE_PARTITIONS), one Worker per partition served
 * (`--partitions`, default all), sharing `--concurrency` (concurrencyShares) and the connections.
 */
export function startHostWorker(redis: RedisConfig, options: WorkerConfig, log: (line: string) => void = console.log, telemetry: WorkerTelemetry = {}): HostWorker {
  const { metrics, redisOutage } = telemetry;
  // Modules and known hosts are read before anything connects; the live publisher is set once Redis is.
  let live: ConvergeContext['onOperation'];
  const ctx = convergeContext(options, log, metrics, (job, result) => live?.(job, result));
  // Read before anything connects: a worker without a trusted key would refuse every job.
  // So would one without its seal keys every job with a sensitive value.
  const readHostJob = hostJobReader(jobVerifier(readPublicKeys(options.jobPublicKeys)), valueOpener(readPemKeys(options.sealKeys, 'PRIVATE KEY')));
  const sealer = resultSealer(readResultKey(options.resultKeyFile));
  const queueConnection = redisConnection(redis);
  // Outages are reported once per change of state, not once per reconnection attempt.
  const redisError = (error: Error) => (redisOutage && isConnectionError(error) ? redisOutage.down(error) : log(`worker error: ${error.message}`));
  queueConnection.on('error', (error: Error) => redisOutage?.down(error));
  queueConnection.on('ready', () => redisOutage?.up());
  if (!options.liveOutputOff) {
    // Live output is the run's, not a partition's: under the queue prefix itself.
    const publisher = liveOutputPublisher(queueConnection, redis.prefix, { onSent: liveOutcomeLog(log) });
    live = (job, result) => publisher.publish(job.runId, job.host.hostname, result);
  }
  const lockRenewMs = Math.max(250, Math.floor(options.lockDurationMs / 4));
  const shutdown = new AbortController();
  let state: HostWorkerState = 'running';

  /** A partition's steps: its result stream, host locks and progress are under its prefix, as its host jobs are. */
  function partitionSteps(prefix: string): HostJobSteps {
    return {
      locks: hostLocks(queueConnection, prefix, { ttlMs: options.lockDurationMs }),
      lockRenewMs,
      alreadyHandedOff: (data) => isResultHandedOff(queueConnection, prefix, data.runId, data.host.hostname),
      converge: (data, handOff) => convergeHost(data, ctx, shutdown.signal, handOff),
      async addResult(data, result) {
        const { runId, host } = data;
        // One script call: the host joins the run's handed set and, the first time only, its sealed result the stream.
        await handOffResult(queueConnection, prefix, runId, host.hostname, sealer.seal(resultJobId(runId, host.hostname), { result, mode: data.options.mode, hostCount: data.hostCount }));
        if (metrics) observeHost(metrics, result);
        telemetry.hostFinished?.(result);
      },
      shuttingDown: () => shutdown.signal.aborted,
      workerName: options.name,
      log,
    };
  }

  async function processJob(steps: HostJobSteps, job: Job, token?: string): Promise<string> {
    // Checked before anything is rendered or connected (host-job-reader.ts): a malformed job
    // fails at once, for good; one the master did not sign as it is, past the byte caps, expired,
    // or whose sealed values do not open runs nothing, and its host is recorded `rejected` so
    // the run still finishes.
    const reading = readHostJob(job.id ?? '', job.data);
    if (reading.kind === 'malformed') throw new UnrecoverableError(`malformed host job ${job.id}: ${reading.message}`);
    if (reading.kind === 'refused') {
      const { data, refusal } = reading;
      log(`${data.host.hostname}: host job ${job.id} refused: ${refusal}`);
      await steps.addResult(data, rejectedResult(data, options.name, refusal));
      return 'rejected';
    }
    const { data } = reading;
    const outcome = await processHostJob(data, { owner: `${job.id}#${token ?? options.name}`, attemptsMade: job.attemptsMade, attempts: job.opts.attempts ?? 1 }, steps);
    switch (outcome.kind) {
      case 'busy':
        log(`${data.host.hostname}: busy with ${outcome.holder ?? 'another job'}; run ${data.runId} waits ${options.busyRetryMs} ms`);
        await job.moveToDelayed(Date.now() + options.busyRetryMs, token);
        throw new DelayedError();
      case 'handed-back':
        log(`${data.host.hostname}: shutting down, host job ${job.id} handed back to the queue`);
        await job.moveToWait(token);
        throw new WaitingError();
      case 'already-handed-off':
        return 'already-handed-off';
      case 'converged':
        return outcome.status;
      default:
        return assertNever(outcome);
    }
  }

  const workerConnection = redisConnection(redis, { blocking: true });

  /**
   * The hosts queue of one partition taken with `concurrency` of the worker's hosts at once; a
   * host's result goes to the same partition's result stream. K = 1: the one partition is the
   * queue prefix and gets the whole --concurrency.
   */
  function servePartition(prefix: string, concurrency: number): Worker {
    const steps = partitionSteps(prefix);
    const worker = new Worker(HOSTS_QUEUE, (job: Job, token?: string) => processJob(steps, job, token), {
      connection: workerConnection,
      prefix,
      concurrency,
      // The lock is renewed every quarter of its duration while the host runs, so a host that takes
      // hours keeps it and is never handed to a second worker; a dead worker's host is taken over
      // after at most lockDuration + stalledInterval.
      lockDuration: options.lockDurationMs,
      lockRenewTime: lockRenewMs,
      stalledInterval: options.stalledIntervalMs,
      maxStalledCount: options.maxStalledCount,
      settings: { backoffStrategy: cappedBackoffStrategy({ baseMs: CONNECT_RETRY_BASE_MS, capMs: options.retryMaxDelayMs }) },
      autorun: true,
    });
    worker.on('failed', (job, error) => {
      log(`host job ${job?.id ?? '?'} failed: ${error.message}`);
      if (job?.finishedOn === undefined) return; // will be retried
      const parsed = parseHostJobPayload(job.data);
      if (typeof parsed === 'string') return; // malformed: there is no run or host to record it under
      recordGivenUp(parsed.data, error, job.processedOn ?? Date.now(), steps).catch((raw: unknown) => log(`host job ${job.id}: outcome not recorded: ${coerceError(raw).message}`));
    });
    worker.on('error', redisError);
    return worker;
  }

  const partitions = servedQueuePartitions(redis, options.partitions);
  const shares = concurrencyShares(options.concurrency, partitions.length);
  const workers = partitions.map((partition, i) => servePartition(partition.prefix, shares[i]!));
  if (partitionCount(redis) > 1) log(`worker ${options.name}: queue partitions ${partitions.map((p) => p.index).join(',')} of ${partitionCount(redis)} (concurrency ${shares.join('+')})`);

  let closing: Promise<void> | undefined;
  return {
    state: () => state,
    close() {
      closing ??= (async () => {
        state = 'closing';
        // Let running hosts finish for a while; past that, abort them so they are handed back.
        const grace = setTimeout(() => shutdown.abort(), options.shutdownGraceMs);
        // In order of set-up; closeAll closes the worker first. While Redis is down BullMQ's close
        // never finishes: one second past the grace period it is given up and the connections
        // dropped, so SIGTERM always ends the worker. While Redis answers, the aborted hosts get
        // up to HAND_BACK_MS more to be handed back (their SSH sessions end, their jobs move back
        // to waiting), which takes longer than a second on a busy machine.
        // The partitions' workers close together: none keeps taking jobs while another closes.
        const orderly = closeAll([
          () => queueConnection.disconnect(),
          () => workerConnection.disconnect(),
          () => closeTogether(workers),
        ]);
        const redisDown = () => redisOutage !== undefined && !redisOutage.reachable();
        try {
          await boundedClose(orderly, () => options.shutdownGraceMs + (redisDown() ? 1_000 : HAND_BACK_MS), () => {
            log(`worker ${options.name}: close did not finish within the grace period (Redis unreachable?); dropping connections`);
            queueConnection.disconnect();
            workerConnection.disconnect();
            for (const w of workers) w.close(true).catch(() => undefined);
          });
        } finally {
          clearTimeout(grace);
          state = 'closed';
        }
      })();
      return closing;
    },
  };
}
