import type { OutcomeCounts, RunMode, RunStatus } from './outcome';

/** What a run was asked to converge: everything, a list of hosts, or a group. */
export type RunTarget = { readonly kind: 'all' } | { readonly kind: 'hosts'; readonly hosts: readonly string[] } | { readonly kind: 'group'; readonly group: string };

export function describeTarget(target: RunTarget): string {
  switch (target.kind) {
    case 'all':
      return 'all';
    case 'hosts':
      return `hosts:${target.hosts.join(',')}`;
    case 'group':
      return `group:${target.group}`;
  }
}

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
  readonly finishedAt: Date | null;
}
