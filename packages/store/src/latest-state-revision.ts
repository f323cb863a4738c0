import type { Client, types } from 'cassandra-driver';

/** One `apply` of a state directory as the table `state_revisions` records it. */
export interface StateRevisionRecord {
  /** A timeuuid, in lower case: what a run records as the revision it converged. */
  readonly revisionId: string;
  readonly appliedAt: Date | null;
  readonly appliedBy: string | null;
  /** Digest of the state directory. */
  readonly digest: string | null;
  /** The commit when the directory was in a git work tree. */
  readonly gitCommit: string | null;
  readonly summary: string | null;
}

/** The only scope `state_revisions` has today: the whole fleet. */
export const FLEET_SCOPE = 'fleet';

/**
 * The newest state revision (the table is clustered newest first, so one row of one
 * partition), or null when no state directory was ever applied to this keyspace.
 */
export async function latestStateRevision(client: Client, keyspace: string): Promise<StateRevisionRecord | null> {
  const rs = await client.execute(`SELECT ${stateRevisionColumns} FROM ${keyspace}.state_revisions WHERE scope = ? LIMIT 1`, [FLEET_SCOPE], { prepare: true });
  const row = rs.first();
  return row ? fromStateRevisionRow(row) : null;
}

/** The columns `fromStateRevisionRow` reads. */
export const stateRevisionColumns = 'revision_id, applied_at, applied_by, digest, git_commit, summary';

export function fromStateRevisionRow(row: types.Row): StateRevisionRecord {
  return {
    revisionId: String(row.get('revision_id')),
    appliedAt: (row.get('applied_at') as Date | null) ?? null,
    appliedBy: (row.get('applied_by') as string | null) ?? null,
    digest: (row.get('digest') as string | null) ?? null,
    gitCommit: (row.get('git_commit') as string | null) ?? null,
    summary: (row.get('summary') as string | null) ?? null,
  };
}
