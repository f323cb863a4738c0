import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { SimpleCmError } from '@simplecm/kernel';
import { RUN_REQUESTS_QUEUE } from './names';
import { runRequestAnswerSchema, runRequestJobOptions, runRequestSchema, type RunRequest, type RunRequestAnswer } from './run-request';

/** A master refused or failed a run request; `badInput` when the request itself was wrong (exit 2). */
export class RunRequestRefusedError extends SimpleCmError<'run-request-refused'> {
  override readonly name = 'RunRequestRefusedError';
  readonly code = 'run-request-refused' as const;
  constructor(
    message: string,
    readonly badInput: boolean,
  ) {
    super(message);
  }
}

/**
 * A run request not answered within its bounds (SubmitBounds). `not-taken`: no master took it
 * (none alive, or the only one died); it was withdrawn from the queue, so it will not start a
 * run later. `not-answered`: a master took it and has not answered; it stays queued (a master
 * that died on it leaves it to the next) and may still launch its run.
 */
export class RunRequestTimeoutError extends SimpleCmError<'run-request-timeout'> {
  override readonly name = 'RunRequestTimeoutError';
  readonly code = 'run-request-timeout' as const;
  constructor(
    message: string,
    readonly stage: 'not-taken' | 'not-answered',
    readonly requestId: string,
  ) {
    super(message);
  }
}

/** How long a submitter waits for a master (a front end that must answer a person: the dashboard). */
export interface SubmitBounds {
  /** For a master to take the request; past it the request is withdrawn. */
  readonly takeTimeoutMs: number;
  /** For the answer, from submitting (at least takeTimeoutMs); past it the request stays queued. */
  readonly answerTimeoutMs: number;
}

/** Job states of a request no master has taken yet. */
const UNTAKEN_STATES = new Set(['waiting', 'wait', 'prioritized', 'delayed', 'waiting-children']);

/** How a master marks the failure of a request that was bad input (see apps/master's run-request-worker.ts). */
export const BAD_INPUT_MARK = 'bad input: ';

/** The two connections a submitter needs; the caller opens and closes both. */
export interface RunRequestConnections {
  readonly redis: Redis;
  /** For QueueEvents' blocking XREAD (redisConnection(…, { blocking: true })). */
  readonly blocking: Redis;
}

/** Submits run requests over one Queue and one QueueEvents kept open (a long-lived front end: the dashboard). */
export interface RunRequestSubmitter {
  /**
   * Puts a run request on the run-requests queue and waits for a master's answer (the run id
   * and host count, once every host job is enqueued). The same request id submitted again while
   * its job is kept adds nothing and gets the same answer. The request is checked here as the
   * masters will check it. Without `bounds` it waits as long as it takes (`simplecm run`, which
   * looked for a live master first); with them, see RunRequestTimeoutError.
   */
  submit(request: RunRequest, bounds?: SubmitBounds): Promise<RunRequestAnswer>;
  /** Closes the queue and the events reader (which disconnects `blocking`). Safe to call twice. */
  close(): Promise<void>;
}

export function runRequestSubmitter(connections: RunRequestConnections, prefix: string): RunRequestSubmitter {
  const queue = new Queue<RunRequest>(RUN_REQUESTS_QUEUE, { connection: connections.redis, prefix });
  const events = new QueueEvents(RUN_REQUESTS_QUEUE, { connection: connections.blocking, prefix });
  let closing: Promise<void> | undefined;
  return {
    async submit(request, bounds) {
      const data = runRequestSchema.parse(request);
      await events.waitUntilReady();
      const job = await queue.add('run', data, runRequestJobOptions(data.requestId));
      // BullMQ's ttl rejects like a failure does; the job's state tells the two apart.
      const answer = async (ttlMs?: number) => runRequestAnswerSchema.parse(await job.waitUntilFinished(events, ttlMs));
      const unanswered = async () => !['failed', 'completed'].includes(await job.getState());
      try {
        if (!bounds) return await answer();
        try {
          return await answer(bounds.takeTimeoutMs);
        } catch (error) {
          if (!(await unanswered())) throw error;
        }
        if (UNTAKEN_STATES.has(await job.getState())) {
          // Withdrawn; a master that took it in between holds its lock, and the remove fails.
          const withdrawn = await job.remove().then(() => true, () => false);
          if (withdrawn) throw new RunRequestTimeoutError(`no master took run request ${data.requestId} within ${bounds.takeTimeoutMs / 1000} s (none running, or the only one died); the request was withdrawn: nothing was launched`, 'not-taken', data.requestId);
        }
        try {
          return await answer(Math.max(1, bounds.answerTimeoutMs - bounds.takeTimeoutMs));
        } catch (error) {
          if (!(await unanswered())) throw error;
          throw new RunRequestTimeoutError(`a master took run request ${data.requestId} but has not answered within ${bounds.answerTimeoutMs / 1000} s; it stays queued and may still launch its run: look at the runs list`, 'not-answered', data.requestId);
        }
      } catch (error) {
        if (error instanceof RunRequestTimeoutError) throw error;
        const reason = error instanceof Error ? error.message : String(error);
        if (reason.startsWith(BAD_INPUT_MARK)) throw new RunRequestRefusedError(reason.slice(BAD_INPUT_MARK.length), true);
        throw new RunRequestRefusedError(`the master failed request ${data.requestId}: ${reason}`, false);
      }
    },
    close() {
      closing ??= Promise.allSettled([events.close(), queue.close()]).then(() => undefined);
      return closing;
    },
  };
}

/** One request, as `simplecm run` sends it: a submitter opened for it and closed after the answer. */
export async function submitRunRequest(connections: RunRequestConnections, prefix: string, request: RunRequest): Promise<RunRequestAnswer> {
  const submitter = runRequestSubmitter(connections, prefix);
  try {
    return await submitter.submit(request);
  } finally {
    await submitter.close();
  }
}
