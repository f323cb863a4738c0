import { types } from 'cassandra-driver';
import type { CassandraClient } from './cassandra-client';
import { FLEET_SCOPE, fromStateRevisionRow, stateRevisionColumns, type StateRevisionRecord } from './latest-state-revision';

/** What `state apply` records about itself (the id and time are the revision's own). */
export interface NewStateRevision {
  readonly appliedBy: string;
  /** sha256 of the state directory's files. */
  readonly digest: string;
  /** `git rev-parse HEAD` of the directory (`…-dirty` with uncommitted changes), or null outside git. */
  readonly gitCommit: string | null;
  /** One line: what the apply changed. */
  readonly summary: string;
}

/** Writes and lists state revisions (`latestStateRevision` reads the newest alone). */
export interface StateRevisionStore {
  /** Records a revision under a new timeuuid (now) and returns it as stored. */
  recordRevision(revision: NewStateRevision): Promise<StateRevisionRecord>;
  /** Revisions newest first. */
  listRevisions(limit: number): Promise<StateRevisionRecord[]>;
}

export function stateRevisionStore(client: CassandraClient, keyspace: string): StateRevisionStore {
  const q = {
    insert: `INSERT INTO ${keyspace}.state_revisions (scope, revision_id, applied_at, applied_by, digest, git_commit, summary) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    list: `SELECT ${stateRevisionColumns} FROM ${keyspace}.state_revisions WHERE scope = ? LIMIT ?`,
  };
  return {
    async recordRevision(revision) {
      const id = types.TimeUuid.now();
      const appliedAt = id.getDate();
      await client.execute(q.insert, [FLEET_SCOPE, id, appliedAt, revision.appliedBy, revision.digest, revision.gitCommit, revision.summary], { prepare: true });
      return { ...revision, revisionId: id.toString(), appliedAt };
    },
    async listRevisions(limit) {
      const rs = await client.execute(q.list, [FLEET_SCOPE, limit], { prepare: true });
      return rs.rows.map(fromStateRevisionRow);
    },
  };
}
