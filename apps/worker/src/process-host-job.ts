import type { HostResult, HostStatus } from '@simplecm/domain';
import { cappedBackoffDelay, type HostJobData, type HostLocks } from '@simplecm/queue';
import { coerceError } from '@simplecm/kernel';
import { SshError } from '@simplecm/ssh';
import { notConvergedResult, unreachableResult } from './converge-host';

/**
 * What the worker does with one host job, as plain functions over what it is given: no BullMQ,
 * Redis or SSH in here (host-worker.ts wires those in), so it reads top to bottom:
 * 1. take the host's lock (one run per host at a time), or say who holds it;
 * 2. if the host's result was already handed off (a worker died between hand-off and completing
 *    the job, or the job was re-added), stop without touching the host again;
 * 3. converge it (attaching to the host's journal if an earlier delivery started the host's
 *    driver) and hand the result to the result stream;
 * 4. release the lock.
 * Connection errors are thrown while the job has attempts left (the caller retries them), then
 * recorded `unreachable`; a job given up for any other reason is recorded by recordGivenUp.
 */
export interface HostJobSteps {
  readonly locks: HostLocks;
  /** How often the lock is renewed while the host runs. */
  readonly lockRenewMs: number;
  /** Whether this host's result for this run is already queued or recorded. */
  readonly alreadyHandedOff: (data: HostJobData) => Promise<boolean>;
  /**
   * Converges the host (see convergeHost); a failure to connect, or a connection lost while the
   * host's driver ran, is thrown as SshError. Calls `handOff` with the result while it still
   * holds the connection, so the host's journal is removed once the result is handed off.
   */
  readonly converge: (data: HostJobData, handOff: (result: HostResult) => Promise<void>) => Promise<HostResult>;
  /** Hands the host's result to its partition's result stream; deduplicated by run + host, so a second hand-off adds nothing. */
  readonly addResult: (data: HostJobData, result: HostResult) => Promise<void>;
  /** True once shutdown has aborted the hosts still running (past its grace period). */
  readonly shuttingDown: () => boolean;
  readonly workerName: string;
  readonly log: (line: string) => void;
  /** Waits between hand-off tries (default: a timer). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** This attempt at a host job: who holds the lock while it runs, and how many tries the job has. */
export interface HostJobAttempt {
  /** The lock's owner: the job and its worker's lock token. */
  readonly owner: string;
  /** Attempts made before this one. */
  readonly attemptsMade: number;
  /** Attempts the job has in all. */
  readonly attempts: number;
}

/** How an attempt ended, for the caller to tell the queue. */
export type HostJobOutcome =
  | { readonly kind: 'busy'; readonly holder: string | null }
  | { readonly kind: 'already-handed-off' }
  | { readonly kind: 'handed-back' }
  | { readonly kind: 'converged'; readonly status: HostStatus };

/** Tries to hand a result to the result stream before the attempt is given up (Redis down that long). */
const HAND_OFF_TRIES = 6;

const timer = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function processHostJob(data: HostJobData, attempt: HostJobAttempt, steps: HostJobSteps): Promise<HostJobOutcome> {
  const { locks, log } = steps;
  const hostname = data.host.hostname;
  const lock = await locks.acquire(hostname, attempt.owner);
  if (!lock.acquired) return { kind: 'busy', holder: lock.holder };
  const renewal = setInterval(() => {
    locks.renew(hostname, attempt.owner).then(
      (held) => held || log(`${hostname}: host lock lost (expired while Redis was unreachable?)`),
      (error: unknown) => log(`${hostname}: host lock not renewed: ${coerceError(error).message}`),
    );
  }, steps.lockRenewMs);
  try {
    // Checked under the host lock, so a worker still finishing this host cannot slip past it.
    if (await steps.alreadyHandedOff(data)) {
      log(`${hostname}: result of run ${data.runId} already handed off; not converging again`);
      return { kind: 'already-handed-off' };
    }
    return await convergeAndHandOff(data, attempt, steps);
  } finally {
    clearInterval(renewal);
    await locks.release(hostname, attempt.owner).catch((error: unknown) => log(`${hostname}: host lock not released (it expires): ${coerceError(error).message}`));
  }
}

async function convergeAndHandOff(data: HostJobData, attempt: HostJobAttempt, steps: HostJobSteps): Promise<HostJobOutcome> {
  const startedAt = Date.now();
  let result: HostResult;
  let handedOff = false;
  try {
    result = await steps.converge(data, async (converged) => {
      await handOff(data, converged, steps);
      handedOff = true;
    });
  } catch (raw) {
    const error = coerceError(raw);
    // Shutting down past the grace period: the host goes back to the queue, without using an attempt.
    if (steps.shuttingDown()) return { kind: 'handed-back' };
    if (!(error instanceof SshError)) throw error;
    if (error.retryable && attempt.attemptsMade + 1 < attempt.attempts) {
      steps.log(`${data.host.hostname}: ${error.message} (attempt ${attempt.attemptsMade + 1}/${attempt.attempts}, will retry)`);
      throw error;
    }
    result = unreachableResult(data, steps.workerName, startedAt, error);
  }
  if (!handedOff) await handOff(data, result, steps);
  return { kind: 'converged', status: result.status };
}

/**
 * A host job given up for good (stalled too often, or an unexpected error): its host still gets
 * an outcome, every operation `unreachable` with why.
 */
export async function recordGivenUp(data: HostJobData, error: Error, startedAt: number, steps: HostJobSteps): Promise<void> {
  const stalled = /stalled/i.test(error.message);
  const detail = stalled ? `given up after workers died while converging it (${error.message})` : error.message;
  await handOff(data, notConvergedResult(data, steps.workerName, startedAt, stalled ? 'stalled' : 'worker-error', detail), steps);
}

/** Adds the result, retrying with capped backoff while Redis is unreachable, HAND_OFF_TRIES times. */
async function handOff(data: HostJobData, result: HostResult, steps: HostJobSteps): Promise<void> {
  const sleep = steps.sleep ?? timer;
  for (let attempt = 1; ; attempt++) {
    try {
      await steps.addResult(data, result);
      return;
    } catch (raw) {
      if (attempt >= HAND_OFF_TRIES) throw coerceError(raw);
      steps.log(`${data.host.hostname}: result not handed off yet (${coerceError(raw).message}); retrying`);
      await sleep(cappedBackoffDelay(attempt, { baseMs: 1_000, capMs: 10_000 }));
    }
  }
}
