import { types } from 'cassandra-driver';
import { z } from 'zod';
import type { CassandraClient } from './cassandra-client';

/** One line of the audit log as it is written: who did what, to what, from where, and how it ended. */
export interface AuditEntry {
  /** The user name, or what was typed for a failed log-in. */
  readonly actor: string;
  /** `login`, `login-failed`, `logout`, `launch`, `relaunch`, `cancel`, `queue-action`, `refused`… */
  readonly action: string;
  /** What the action was on: a run id, a queue path, a target pattern; empty when none. */
  readonly subject: string;
  /** The client address (the proxy's client when `trust proxy` says so). */
  readonly address: string;
  /** `ok`, `refused` or `failed`. */
  readonly outcome: string;
  /** Anything else worth keeping (options of a launch, the reason of a refusal). */
  readonly detail: string;
}

/** An entry as read back, with its id (a timeuuid) and time. */
export interface AuditRecord extends AuditEntry {
  readonly eventId: string;
  readonly at: Date;
}

export interface AuditLogStore {
  record(entry: AuditEntry): Promise<AuditRecord>;
  /** Newest first, walking back day by day (at most `days` days); `before` is the last id of a page. */
  list(opts: { limit: number; before?: string; days?: number }): Promise<AuditRecord[]>;
}

const auditRowSchema = z.object({
  eventId: z.string(),
  actor: z.string(),
  action: z.string(),
  subject: z.string(),
  address: z.string(),
  outcome: z.string(),
  detail: z.string(),
});

function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function auditLogStore(client: CassandraClient, keyspace: string): AuditLogStore {
  const q = {
    insert: `INSERT INTO ${keyspace}.audit_log (day, event_id, actor, action, subject, address, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    page: `SELECT event_id, actor, action, subject, address, outcome, detail FROM ${keyspace}.audit_log WHERE day = ? LIMIT ?`,
    pageBefore: `SELECT event_id, actor, action, subject, address, outcome, detail FROM ${keyspace}.audit_log WHERE day = ? AND event_id < ? LIMIT ?`,
  };
  const prepared = { prepare: true };

  function fromRow(row: types.Row): AuditRecord {
    const parsed = auditRowSchema.parse({
      eventId: String(row.get('event_id')),
      actor: row.get('actor') ?? '',
      action: row.get('action') ?? '',
      subject: row.get('subject') ?? '',
      address: row.get('address') ?? '',
      outcome: row.get('outcome') ?? '',
      detail: row.get('detail') ?? '',
    });
    return { ...parsed, at: types.TimeUuid.fromString(parsed.eventId).getDate() };
  }

  return {
    async record(entry) {
      const id = types.TimeUuid.now();
      const at = id.getDate();
      await client.execute(q.insert, [dayOf(at), id, entry.actor, entry.action, entry.subject, entry.address, entry.outcome, entry.detail], prepared);
      return { ...entry, eventId: id.toString(), at };
    },
    async list({ limit, before, days = 31 }) {
      const out: AuditRecord[] = [];
      let day = before ? types.TimeUuid.fromString(before).getDate() : new Date();
      let cursor = before;
      for (let i = 0; i < days && out.length < limit; i += 1) {
        const rs = cursor
          ? await client.execute(q.pageBefore, [dayOf(day), cursor, limit - out.length], prepared)
          : await client.execute(q.page, [dayOf(day), limit - out.length], prepared);
        out.push(...rs.rows.map(fromRow));
        cursor = undefined;
        day = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() - 1));
      }
      return out;
    },
  };
}
