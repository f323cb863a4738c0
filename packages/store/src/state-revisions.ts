import { types, type Client } from 'cassandra-driver';

/** One `state apply`: which desired state was applied, by whom, when. */
export interface StateRevision {
  /** A timeuuid, so revisions sort by time. */
  readonly revisionId: string;
  readonly appliedAt: Date;
  readonly appliedBy: string;
  /** sha256 of the state directory's files. */
  readonly digest: string;
  /** `git rev-parse HEAD` of the directory (`…-dirty` with uncommitted changes), or null outside git. */
  readonly gitCommit: string | null;
  /** One line: what the apply changed. */
  readonly summary: string;
}

export interface StateRevisionStore {
  /** Records a revision under a new timeuuid and returns it. */
  recordRevision(revision: Omit<StateRevision, 'revisionId' | 'appliedAt'>): Promise<StateRevision>;
  /** The newest revision, or undefined when nothing was ever applied. */
  latestRevision(): Promise<StateRevision | undefined>;
  /** Revisions newest first. */
  listRevisions(limit: number): Promise<StateRevision[]>;
}

/** Revisions live in one partition; the fleet is the only scope so far. */
const FLEET = 'fleet';

export function stateRevisionStore(client: Client, keyspace: string): StateRevisionStore {
  const q = {
    insert: `INSERT INTO ${keyspace}.state_revisions (scope, revision_id, applied_at, applied_by, digest, git_commit, summary) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    list: `SELECT revision_id, applied_at, applied_by, digest, git_commit, summary FROM ${keyspace}.state_revisions WHERE scope = ? LIMIT ?`,
  };
  async function listRevisions(limit: number): Promise<StateRevision[]> {
    const rs = await client.execute(q.list, [FLEET, limit], { prepare: true });
    return rs.rows.map((row) => ({
      revisionId: String(row.get('revision_id')),
      appliedAt: row.get('applied_at') as Date,
      appliedBy: String(row.get('applied_by') ?? ''),
      digest: String(row.get('digest') ?? ''),
      gitCommit: (row.get('git_commit') as string | null) ?? null,
      summary: String(row.get('summary') ?? ''),
    }));
  }
  return {
    async recordRevision(revision) {
      const id = types.TimeUuid.now();
      const recorded = { ...revision, revisionId: id.toString(), appliedAt: id.getDate() };
      await client.execute(q.insert, [FLEET, id, recorded.appliedAt, revision.appliedBy, revision.digest, revision.gitCommit, revision.summary], { prepare: true });
      return recorded;
    },
    async latestRevision() {
      return (await listRevisions(1))[0];
    },
    listRevisions,
  };
}
