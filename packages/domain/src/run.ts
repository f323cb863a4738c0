import { z } from 'zod';
import { assertNever } from '@simplecm/kernel';
import type { OutcomeCounts, RunMode, RunStatus } from './outcome';

/** What a run was asked to converge: everything, a list of hosts, a group, or a host pattern (`--limit`, see host-pattern.ts). */
export type RunTarget =
  | { readonly kind: 'all' }
  | { readonly kind: 'hosts'; readonly hosts: readonly string[] }
  | { readonly kind: 'group'; readonly group: string }
  | { readonly kind: 'pattern'; readonly pattern: string };

export function describeTarget(target: RunTarget): string {
  switch (target.kind) {
    case 'all':
      return 'all';
    case 'hosts':
      return `hosts:${target.hosts.join(',')}`;
    case 'group':
      return `group:${target.group}`;
    case 'pattern':
      return `limit:${target.pattern}`;
    default:
      return assertNever(target);
  }
}

/** A run id as enqueue makes it: a time-based (version 1) UUID in lower case, the timeuuid Cassandra keys a run by. */
export const RUN_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * A run id in a job payload. Checked there so that a malformed one fails its job at once instead
 * of being retried by a store that cannot take it.
 */
export const runIdSchema = z.string().regex(RUN_ID_PATTERN, 'must be a run id (a time-based UUID)');

/** One convergence of a set of hosts. */
export interface Run {
  readonly runId: string;
  readonly createdAt: Date;
  readonly mode: RunMode;
  readonly target: string;
  readonly hostCount: number;
  readonly status: RunStatus;
  readonly counts: OutcomeCounts;
  readonly hostsDone: number;
  /** Hosts a cancel took out before they ran (never enqueued, or removed while waiting); absent: none. hostsDone + hostsCancelled = hostCount once cancelled. */
  readonly hostsCancelled?: number;
  readonly finishedAt: Date | null;
  /** The state revision (an `apply` of a state directory) the run converged; null when none was applied. */
  readonly stateRevision: string | null;
}
