import type { BackoffStrategy } from 'bullmq';

/**
 * The backoff type our jobs name (`backoff: { type: CAPPED_BACKOFF }`). BullMQ's own
 * `exponential` grows without bound (attempt 20 waits 12 days), so a consumer that was failing
 * for a while would keep waiting long after the store came back. Every consumer of a queue
 * whose jobs use this type must pass `cappedBackoffStrategy` as `settings.backoffStrategy`.
 */
export const CAPPED_BACKOFF = 'capped-exponential';

export interface CappedBackoff {
  /** Delay before the first retry, ms. */
  readonly baseMs: number;
  /** No retry waits longer than this, ms. */
  readonly capMs: number;
}

/**
 * Delay before retry number `attemptsMade` (1 for the first retry): base·2^(n−1), at most the
 * cap, with ±20 % jitter so retries of many jobs spread out instead of arriving together.
 */
export function cappedBackoffDelay(attemptsMade: number, { baseMs, capMs }: CappedBackoff, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attemptsMade - 1, 0), 30);
  const raw = Math.min(baseMs * 2 ** exponent, capMs);
  return Math.max(0, Math.round(raw * (0.8 + 0.4 * random())));
}

/**
 * A BullMQ backoff strategy: capped exponential for CAPPED_BACKOFF jobs, where the job's own
 * `backoff.delay` (if any) is the base. BullMQ calls it only for types it has no built-in for;
 * any other unknown type gets the base delay rather than failing the job.
 */
export function cappedBackoffStrategy(defaults: CappedBackoff): BackoffStrategy {
  return (attemptsMade, type, _error, job) => {
    if (type !== CAPPED_BACKOFF) return defaults.baseMs;
    const jobBackoff = job?.opts.backoff;
    const baseMs = typeof jobBackoff === 'object' && typeof jobBackoff.delay === 'number' && jobBackoff.delay > 0 ? jobBackoff.delay : defaults.baseMs;
    return cappedBackoffDelay(attemptsMade, { baseMs, capMs: Math.max(defaults.capMs, baseMs) });
  };
}
