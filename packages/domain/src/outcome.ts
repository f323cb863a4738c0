import { z } from 'zod';

/** What happened to one operation on one host. */
export const OperationStatus = {
  ok: 'ok',
  changed: 'changed',
  failed: 'failed',
  skipped: 'skipped',
  unreachable: 'unreachable',
} as const;
export type OperationStatus = (typeof OperationStatus)[keyof typeof OperationStatus];
export const operationStatusSchema = z.enum(['ok', 'changed', 'failed', 'skipped', 'unreachable']);
export const operationStatuses: readonly OperationStatus[] = operationStatusSchema.options;

/** How one host ended in one run: the worst of its operations' statuses. */
export type HostStatus = 'ok' | 'changed' | 'failed' | 'unreachable';
export const hostStatusSchema = z.enum(['ok', 'changed', 'failed', 'unreachable']);

export const RunMode = { apply: 'apply', check: 'check' } as const;
export type RunMode = (typeof RunMode)[keyof typeof RunMode];
export const runModeSchema = z.enum(['apply', 'check']);

export type RunStatus = 'running' | 'finished' | 'failed';

/** Why a host did not run to the end; `undefined` when it did. */
export const HostErrorCause = {
  unreachable: 'unreachable',
  hostKeyMismatch: 'host-key-mismatch',
  authFailed: 'auth-failed',
  timeout: 'timeout',
  moduleFailed: 'module-failed',
  invalidJob: 'invalid-job',
} as const;
export type HostErrorCause = (typeof HostErrorCause)[keyof typeof HostErrorCause];

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${String(value)}`);
}

/** Counts of operation results by status. */
export type OutcomeCounts = Record<OperationStatus, number>;

export function emptyCounts(): OutcomeCounts {
  return { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0 };
}

export function countStatuses(statuses: Iterable<OperationStatus>): OutcomeCounts {
  const counts = emptyCounts();
  for (const s of statuses) counts[s] += 1;
  return counts;
}

/** A host's status from its operations: unreachable > failed > changed > ok. */
export function hostStatusOf(statuses: readonly OperationStatus[]): HostStatus {
  if (statuses.includes('unreachable')) return 'unreachable';
  if (statuses.includes('failed')) return 'failed';
  if (statuses.includes('changed')) return 'changed';
  return 'ok';
}
