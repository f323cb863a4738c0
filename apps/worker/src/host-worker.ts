import fs from 'node:fs';
import path from 'node:path';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { hostJobDataSchema, type HostJobData } from '@simplecm/domain';
import { loadModules, resolveModulesDir } from '@simplecm/modules';
import { HOSTS_QUEUE, RESULTS_QUEUE, redisConnection, resultJobId, type RedisConfig, type ResultJobData } from '@simplecm/queue';
import { coerceError, hostKeyPolicy, loadKnownHosts, SshError } from '@simplecm/ssh';
import { convergeHost, unreachableResult, type ConvergeContext } from './converge-host';
import type { WorkerOptions } from './worker-options';

export type HostWorkerState = 'running' | 'closing' | 'closed';

export interface HostWorker {
  readonly state: () => HostWorkerState;
  /** Stops taking jobs, lets running hosts finish (or hands them back), closes connections. Safe to call twice. */
  close(): Promise<void>;
}

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

export function startHostWorker(redis: RedisConfig, options: WorkerOptions, log: (line: string) => void = console.log): HostWorker {
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
  const shutdown = new AbortController();
  let state: HostWorkerState = 'running';

  async function handOff(data: HostJobData, result: ResultJobData['result']): Promise<void> {
    await results.add('result', { result, mode: data.options.mode, hostCount: data.hostCount }, {
      jobId: resultJobId(data.runId, data.host.hostname),
      attempts: 1_000,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: 10_000,
      removeOnFail: false,
    });
  }

  async function processHost(job: Job): Promise<string> {
    const parsed = hostJobDataSchema.safeParse(job.data);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ');
      throw new UnrecoverableError(`malformed host job ${job.id}: ${fields}`);
    }
    const data = parsed.data;
    const startedAt = Date.now();
    let result;
    try {
      result = await convergeHost(data, ctx, shutdown.signal);
    } catch (raw) {
      const error = coerceError(raw);
      if (shutdown.signal.aborted) throw error; // handed back: another worker takes the host
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

  const worker = new Worker(HOSTS_QUEUE, processHost, {
    connection: redisConnection(redis, { blocking: true }),
    prefix: redis.prefix,
    concurrency: options.concurrency,
    // BullMQ renews a job's lock every lockDuration/2 while the processor runs, so a long host
    // keeps its lock for as long as this process lives; a killed worker's job is taken over after
    // at most ~lockDuration + stalledInterval.
    lockDuration: 30_000,
    stalledInterval: 15_000,
    maxStalledCount: 5,
    autorun: true,
  });
  worker.on('failed', (job, error) => log(`host job ${job?.id ?? '?'} failed: ${error.message}`));
  worker.on('error', (error) => log(`worker error: ${error.message}`));

  let closing: Promise<void> | undefined;
  return {
    state: () => state,
    close() {
      closing ??= (async () => {
        state = 'closing';
        const errors: unknown[] = [];
        // Let running hosts finish for a while; past that, abort them so they are handed back.
        const grace = setTimeout(() => shutdown.abort(), 20_000);
        for (const step of [() => worker.close(), () => results.close(), async () => void queueConnection.disconnect()]) {
          try {
            await step();
          } catch (error) {
            errors.push(error);
          }
        }
        clearTimeout(grace);
        state = 'closed';
        if (errors.length > 0) throw coerceError(errors[0]);
      })();
      return closing;
    },
  };
}
