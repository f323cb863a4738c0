import fs from 'node:fs';
import path from 'node:path';
import { DelayedError, Queue, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { RedisConfig } from '@simplecm/config';
import { hostJobDataSchema, type HostJobData, type HostResult } from '@simplecm/domain';
import { loadModules, resolveModulesDir } from '@simplecm/modules';
import {
  cappedBackoffDelay,
  cappedBackoffStrategy,
  HOSTS_QUEUE,
  hostLocks,
  isHostCounted,
  RESULTS_QUEUE,
  redisConnection,
  resultJobId,
  resultJobOptions,
  type ResultJobData,
} from '@simplecm/queue';
import { closeAll, coerceError } from '@simplecm/kernel';
import { hostKeyPolicy, loadKnownHosts, SshError } from '@simplecm/ssh';
import { convergeHost, notConvergedResult, unreachableResult, type ConvergeContext } from './converge-host';
import type { WorkerConfig } from './worker-options';

export type HostWorkerState = 'running' | 'closing' | 'closed';

export interface HostWorker {
  readonly state: () => HostWorkerState;
  /** Stops taking jobs, lets running hosts finish (or hands them back), closes connections. Safe to call twice. */
  close(): Promise<void>;
}

/** Base delay between connection attempts of a host when the job names none. */
const CONNECT_RETRY_BASE_MS = 2_000;
/** Tries to hand a result to the results queue before the attempt is given up (Redis down that long). */
const HAND_OFF_TRIES = 6;

/** Reads a key by name from the keys directory; names cannot escape it (validated, and re-checked here). */
function keyReader(keysDir: string): (keyName: string) => Buffer {
  const cache = new Map<string, Buffer>();
  return (keyName) => {
    const cached = cache.get(keyName);
    if (cached) return cached;
    const file = path.join(keysDir, keyName);
    if (path.dirname(file) !== path.resolve(keysDir)) throw new Error(`key name "${keyName}" is not a plain file name`);
    if (!fs.existsSync(file)) throw new Error(`key "${keyName}" not found in this worker's keys directory ${keysDir}`);
    const key = fs.readFileSync(file);
    cache.set(keyName, key);
    return key;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The host worker. Per host job:
 * 1. take the host's lock (one run per host at a time); if another run holds it, the job is moved
 *    to delayed for `busyRetryMs` (no attempt used) and looked at again;
 * 2. if the host's result was already handed off (a worker died between hand-off and completing
 *    the job, or the job was re-added), complete without touching the host again;
 * 3. converge it, hand the result to the results queue (job id run + host), release the lock.
 * Connection errors are retried with capped backoff up to the job's attempts, then recorded
 * `unreachable`; a job given up for any other reason (stalled too often) is recorded too.
 */
export function startHostWorker(redis: RedisConfig, options: WorkerConfig, log: (line: string) => void = console.log): HostWorker {
  const ctx: ConvergeContext = {
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
  };
  const queueConnection = redisConnection(redis);
  const results = new Queue<ResultJobData>(RESULTS_QUEUE, { connection: queueConnection, prefix: redis.prefix });
  const locks = hostLocks(queueConnection, redis.prefix, { ttlMs: options.lockDurationMs });
  const lockRenewMs = Math.max(250, Math.floor(options.lockDurationMs / 4));
  const shutdown = new AbortController();
  let state: HostWorkerState = 'running';

  async function handOff(data: HostJobData, result: HostResult): Promise<void> {
    const payload: ResultJobData = { result, mode: data.options.mode, hostCount: data.hostCount };
    for (let attempt = 1; ; attempt++) {
      try {
        await results.add('result', payload, resultJobOptions(data.runId, data.host.hostname));
        return;
      } catch (raw) {
        if (attempt >= HAND_OFF_TRIES) throw coerceError(raw);
        log(`${data.host.hostname}: result not handed off yet (${coerceError(raw).message}); retrying`);
        await sleep(cappedBackoffDelay(attempt, { baseMs: 1_000, capMs: 10_000 }));
      }
    }
  }

  /** True when this host's result for this run is already queued or recorded. */
  async function alreadyHandedOff(data: HostJobData): Promise<boolean> {
    if ((await results.getJobState(resultJobId(data.runId, data.host.hostname))) !== 'unknown') return true;
    return isHostCounted(queueConnection, redis.prefix, data.runId, data.host.hostname);
  }

  async function converge(job: Job, token: string | undefined, data: HostJobData): Promise<string> {
    const startedAt = Date.now();
    let result: HostResult;
    try {
      result = await convergeHost(data, ctx, shutdown.signal);
    } catch (raw) {
      const error = coerceError(raw);
      if (shutdown.signal.aborted) {
        // Shutting down past the grace period: hand the host back, without using an attempt.
        log(`${data.host.hostname}: shutting down, host job ${job.id} handed back to the queue`);
        await job.moveToWait(token);
        throw new WaitingError();
      }
      if (!(error instanceof SshError)) throw error;
      const attempts = job.opts.attempts ?? 1;
      if (error.retryable && job.attemptsMade + 1 < attempts) {
        log(`${data.host.hostname}: ${error.message} (attempt ${job.attemptsMade + 1}/${attempts}, will retry)`);
        throw error;
      }
      result = unreachableResult(data, ctx, startedAt, error);
    }
    await handOff(data, result);
    return result.status;
  }

  async function processHost(job: Job, token?: string): Promise<string> {
    const parsed = hostJobDataSchema.safeParse(job.data);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ');
      throw new UnrecoverableError(`malformed host job ${job.id}: ${fields}`);
    }
    const data = parsed.data;
    const hostname = data.host.hostname;
    const owner = `${job.id}#${token ?? options.name}`;
    const lock = await locks.acquire(hostname, owner);
    if (!lock.acquired) {
      log(`${hostname}: busy with ${lock.holder ?? 'another job'}; run ${data.runId} waits ${options.busyRetryMs} ms`);
      await job.moveToDelayed(Date.now() + options.busyRetryMs, token);
      throw new DelayedError();
    }
    const renewal = setInterval(() => {
      locks.renew(hostname, owner).then(
        (held) => held || log(`${hostname}: host lock lost (expired while Redis was unreachable?)`),
        (error: unknown) => log(`${hostname}: host lock not renewed: ${coerceError(error).message}`),
      );
    }, lockRenewMs);
    try {
      // Checked under the host lock, so a worker still finishing this host cannot slip past it.
      if (await alreadyHandedOff(data)) {
        log(`${hostname}: result of run ${data.runId} already handed off; not converging again`);
        return 'already-handed-off';
      }
      return await converge(job, token, data);
    } finally {
      clearInterval(renewal);
      await locks.release(hostname, owner).catch((error: unknown) => log(`${hostname}: host lock not released (it expires): ${coerceError(error).message}`));
    }
  }

  /** A host job given up for good (stalled too often, or an unexpected error): its host still gets an outcome. */
  async function recordGivenUp(job: Job, error: Error): Promise<void> {
    const parsed = hostJobDataSchema.safeParse(job.data);
    if (!parsed.success) return; // malformed: there is no run or host to record it under
    const stalled = /stalled/i.test(error.message);
    const detail = stalled ? `given up after workers died while converging it (${error.message})` : error.message;
    const result = notConvergedResult(parsed.data, ctx, job.processedOn ?? Date.now(), stalled ? 'stalled' : 'worker-error', detail);
    await handOff(parsed.data, result);
  }

  const worker = new Worker(HOSTS_QUEUE, processHost, {
    connection: redisConnection(redis, { blocking: true }),
    prefix: redis.prefix,
    concurrency: options.concurrency,
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
    recordGivenUp(job, error).catch((raw: unknown) => log(`host job ${job.id}: outcome not recorded: ${coerceError(raw).message}`));
  });
  worker.on('error', (error) => log(`worker error: ${error.message}`));

  let closing: Promise<void> | undefined;
  return {
    state: () => state,
    close() {
      closing ??= (async () => {
        state = 'closing';
        // Let running hosts finish for a while; past that, abort them so they are handed back.
        const grace = setTimeout(() => shutdown.abort(), options.shutdownGraceMs);
        try {
          // In order of set-up; closeAll closes the worker first.
          await closeAll([() => queueConnection.disconnect(), () => results.close(), () => worker.close()]);
        } finally {
          clearTimeout(grace);
          state = 'closed';
        }
      })();
      return closing;
    },
  };
}
