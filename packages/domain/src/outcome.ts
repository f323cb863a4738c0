import { z } from 'zod';

export { assertNever } from '@simplecm/kernel';

// Each vocabulary below is one `as const` object: its type is derived from it and its zod schema
// is `z.enum(object)`, so every list is written once.

/** What happened to one operation on one host. */
export const OperationStatus = {
  ok: 'ok',
  changed: 'changed',
  failed: 'failed',
  skipped: 'skipped',
  unreachable: 'unreachable',
  /**
   * Not run because the worker refused the host's job before rendering or connecting (unsigned,
   * altered, expired, not its own id: job-signature.ts). Every operation of such a host is
   * `rejected`, and so is the host.
   */
  rejected: 'rejected',
} as const;
export type OperationStatus = (typeof OperationStatus)[keyof typeof OperationStatus];
export const operationStatusSchema = z.enum(OperationStatus);
export const operationStatuses: readonly OperationStatus[] = operationStatusSchema.options;

/**
 * How one host ended in one run: the worst of its operations' statuses (a host is never
 * `skipped`). `failed`, `unreachable` and `rejected` are the troubled ones (exit 1, `--rerun-failed`).
 */
const { skipped: _neverAHostStatus, ...hostStatusObject } = OperationStatus;
export const HostStatus: Readonly<typeof hostStatusObject> = hostStatusObject;
export type HostStatus = (typeof HostStatus)[keyof typeof HostStatus];
export const hostStatusSchema = z.enum(HostStatus);
export const hostStatuses: readonly HostStatus[] = hostStatusSchema.options;

/** The host statuses that make a run's outcome troubled: the host did not converge. */
export const troubledHostStatuses = ['failed', 'unreachable', 'rejected'] as const satisfies readonly HostStatus[];

/**
 * How a run treats its hosts: `apply` converges the desired state, `check` reports what it would
 * change, `adhoc` applies one operation given on the command line (`simplecm exec`) and leaves
 * the desired state alone; workers run it as `apply`.
 */
export const RunMode = { apply: 'apply', check: 'check', adhoc: 'adhoc' } as const;
export type RunMode = (typeof RunMode)[keyof typeof RunMode];
export const runModeSchema = z.enum(RunMode);

/** `cancelled`: `simplecm cancel` removed the hosts still waiting; those running finished (Run.hostsCancelled). */
export const RunStatus = { running: 'running', finished: 'finished', failed: 'failed', cancelled: 'cancelled' } as const;
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];
export const runStatusSchema = z.enum(RunStatus);

/**
 * Why a host did not run to the end; `undefined` when it did. A host result's `cause` starts
 * with one of these (`unreachable: connect ECONNREFUSED`). The SSH layer's error codes are the
 * connection-level subset (`SshErrorCode`).
 */
export const HostErrorCause = {
  unreachable: 'unreachable',
  hostKeyMismatch: 'host-key-mismatch',
  authFailed: 'auth-failed',
  timeout: 'timeout',
  keyMissing: 'key-missing',
  moduleFailed: 'module-failed',
  invalidJob: 'invalid-job',
  /**
   * The worker refused the job before rendering or connecting: unsigned, signed by an untrusted
   * key, altered since it was signed, expired, or its id not its own (job-signature.ts).
   */
  rejected: 'rejected',
  /** The job was given up after workers died while converging the host. */
  stalled: 'stalled',
  /** The job was given up for an unexpected error in the worker. */
  workerError: 'worker-error',
} as const;
export type HostErrorCause = (typeof HostErrorCause)[keyof typeof HostErrorCause];
export const hostErrorCauseSchema = z.enum(HostErrorCause);

/** The causes an SSH connection or session can end with. */
export type SshErrorCode = Extract<HostErrorCause, 'unreachable' | 'host-key-mismatch' | 'auth-failed' | 'timeout' | 'key-missing'>;

/** Counts of operation results by status. */
export type OutcomeCounts = Record<OperationStatus, number>;

export function emptyCounts(): OutcomeCounts {
  return { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0, rejected: 0 };
}

export function countStatuses(statuses: Iterable<OperationStatus>): OutcomeCounts {
  const counts = emptyCounts();
  for (const s of statuses) counts[s] += 1;
  return counts;
}

/** A host's status from its operations: rejected > unreachable > failed > changed > ok. */
export function hostStatusOf(statuses: readonly OperationStatus[]): HostStatus {
  if (statuses.includes('rejected')) return 'rejected';
  if (statuses.includes('unreachable')) return 'unreachable';
  if (statuses.includes('failed')) return 'failed';
  if (statuses.includes('changed')) return 'changed';
  return 'ok';
}
