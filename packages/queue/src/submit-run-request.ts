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
   * masters will check it.
   */
  submit(request: RunRequest): Promise<RunRequestAnswer>;
  /** Closes the queue and the events reader (which disconnects `blocking`). Safe to call twice. */
  close(): Promise<void>;
}

export function runRequestSubmitter(connections: RunRequestConnections, prefix: string): RunRequestSubmitter {
  const queue = new Queue<RunRequest>(RUN_REQUESTS_QUEUE, { connection: connections.redis, prefix });
  const events = new QueueEvents(RUN_REQUESTS_QUEUE, { connection: connections.blocking, prefix });
  let closing: Promise<void> | undefined;
  return {
    async submit(request) {
      const data = runRequestSchema.parse(request);
      await events.waitUntilReady();
      const job = await queue.add('run', data, runRequestJobOptions(data.requestId));
      try {
        return runRequestAnswerSchema.parse(await job.waitUntilFinished(events));
      } catch (error) {
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
