import { types } from 'cassandra-driver';
import { z } from 'zod';
import { SimpleCmError } from '@simplecm/kernel';
import {
  hostSchema,
  operationSchema,
  runModeSchema,
  type Host,
  type Operation,
  operationResultSchema,
  type OperationResult,
  type OutcomeCounts,
  type Run,
  type RunStatus,
} from '@simplecm/domain';

/** Raised when a row read from Cassandra does not satisfy the domain's schema. */
export class InvalidRowError extends SimpleCmError<'invalid-row'> {
  override readonly name = 'InvalidRowError';
  readonly code = 'invalid-row' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

function issuesText(error: z.ZodError): string {
  return error.issues.map((i) => `field "${i.path.join('.') || '(row)'}": ${i.message}`).join('; ');
}

/** `value` (a row's columns) parsed with `schema`, or InvalidRowError that starts with `which` row it is. */
function parseRow<T>(schema: z.ZodType<T>, value: unknown, which: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidRowError(`${which}: ${issuesText(parsed.error)}`);
  return parsed.data;
}

/** The `count_*` columns of a runs or run_hosts row; one not yet written reads as 0. */
export function countsFromRow(row: types.Row): OutcomeCounts {
  return {
    ok: row.get('count_ok') ?? 0,
    changed: row.get('count_changed') ?? 0,
    failed: row.get('count_failed') ?? 0,
    skipped: row.get('count_skipped') ?? 0,
    unreachable: row.get('count_unreachable') ?? 0,
    rejected: row.get('count_rejected') ?? 0,
  };
}

export function fromHostRow(row: types.Row): Host {
  const hostname = String(row.get('hostname'));
  return parseRow(hostSchema, {
    hostname,
    address: row.get('address'),
    port: row.get('port'),
    user: row.get('ssh_user'),
    keyName: row.get('key_name'),
    groups: row.get('groups') ?? [],
    vars: row.get('vars') ?? {},
    hostKeys: row.get('host_keys') ?? [],
    become: row.get('become') ?? null,
  }, `inventory row for host ${hostname}`);
}

export function toHostParams(host: Host): unknown[] {
  return [host.hostname, host.address, host.port, host.user, host.keyName, host.groups, host.vars, host.hostKeys, host.become];
}


export function fromOperationRow(hostname: string, row: types.Row): Operation {
  const seq = Number(row.get('seq'));
  let attributes: unknown;
  try {
    attributes = JSON.parse(String(row.get('attributes') ?? '{}'));
  } catch (error) {
    throw new InvalidRowError(`host ${hostname}, operation #${seq}: field "attributes": not valid JSON`, { cause: error });
  }
  return parseRow(
    operationSchema,
    {
      seq,
      name: row.get('name'),
      module: row.get('module'),
      attributes,
      become: row.get('become') ?? null,
      // An empty collection reads as null: absent.
      tags: row.get('tags') ?? undefined,
      whenChanged: row.get('when_changed') ?? undefined,
    },
    `host ${hostname}, operation #${seq} "${String(row.get('name'))}"`,
  );
}

/**
 * An operation's columns after hostname, as putOperations writes them: `seq, name, module,
 * attributes, become, tags, when_changed`. Absent tags and triggers are left unset (not null,
 * which would write a tombstone per row).
 */
export function toOperationParams(op: Operation): unknown[] {
  const unset = types.unset;
  return [op.seq, op.name, op.module, JSON.stringify(op.attributes), op.become ?? null, op.tags?.length ? op.tags : unset, op.whenChanged?.length ? op.whenChanged : unset];
}

/** Whether two optional lists of names hold the same names in the same order. */
function sameNames(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

/** Bounds of an operationRowParser's memory. */
export interface OperationRowMemoLimits {
  /** Distinct rows remembered, default 20,000. */
  readonly maxEntries?: number;
  /** Characters of remembered row content, default 16 Mi (so a fleet of unique, large operations stays bounded). */
  readonly maxChars?: number;
}

/**
 * `fromOperationRow` with a memory. A fleet is mostly hosts of a few roles, so the same operation
 * row (all but the hostname alike) is read for thousands of hosts; parsing it once and handing
 * every host the same, frozen Operation saves the JSON parse and the zod parse of each copy. The
 * result is a function of the row's content alone, so the memory changes no outcome: a row that
 * fails is not remembered (its error names the host and is made for each row), and when the
 * memory is full it starts again empty.
 */
export function operationRowParser({ maxEntries = 20_000, maxChars = 16 * 1024 * 1024 }: OperationRowMemoLimits = {}): (hostname: string, row: types.Row) => Operation {
  // By the attributes' text (the long part, hashed once), then the short fields compared. A
  // parsed operation holds its row's seq, name, module, become, tags and triggers unchanged, so
  // equal fields and equal text mean an equal row. `attributes` null parses as '{}' and is remembered as that.
  const memo = new Map<string, Operation[]>();
  let entries = 0;
  let chars = 0;
  return (hostname, row) => {
    const text = String(row.get('attributes') ?? '{}');
    const seq = row.get('seq');
    const name = row.get('name');
    const module = row.get('module');
    const become = row.get('become') ?? null;
    const tags = (row.get('tags') as string[] | null) ?? undefined;
    const whenChanged = (row.get('when_changed') as string[] | null) ?? undefined;
    const alike = memo.get(text);
    if (alike !== undefined) {
      for (const op of alike) {
        if (op.seq === seq && op.name === name && op.module === module && op.become === become && sameNames(op.tags, tags) && sameNames(op.whenChanged, whenChanged)) return op;
      }
    }
    const operation = freezeOperation(fromOperationRow(hostname, row));
    if (entries >= maxEntries || chars + text.length > maxChars) {
      memo.clear();
      entries = 0;
      chars = 0;
    }
    const list = memo.get(text);
    if (list === undefined) memo.set(text, [operation]);
    else {
      // Many operations may share a short text such as '{}': keep the lookup a short scan.
      if (list.length >= 16) list.shift();
      list.push(operation);
    }
    entries++;
    chars += text.length;
    return operation;
  };
}

/** Shared between hosts, so nobody may change it. */
function freezeOperation(operation: Operation): Operation {
  for (const value of Object.values(operation.attributes)) if (Array.isArray(value)) Object.freeze(value);
  Object.freeze(operation.attributes);
  if (operation.tags) Object.freeze(operation.tags);
  if (operation.whenChanged) Object.freeze(operation.whenChanged);
  return Object.freeze(operation);
}

export function fromResultRow(row: types.Row): OperationResult {
  const startedAt = row.get('started_at') as Date | null;
  return operationResultSchema.parse({
    seq: Number(row.get('seq')),
    name: String(row.get('name') ?? ''),
    module: String(row.get('module') ?? ''),
    status: row.get('status'),
    exitCode: row.get('exit_code') ?? null,
    stdout: row.get('stdout') ?? '',
    stdoutTruncated: Boolean(row.get('stdout_truncated')),
    stderr: row.get('stderr') ?? '',
    stderrTruncated: Boolean(row.get('stderr_truncated')),
    changes: row.get('changes') ?? [],
    startedAt: startedAt ? startedAt.getTime() : null,
    durationMs: Number(row.get('duration_ms') ?? 0),
  });
}

const runStatusSchema = z.enum(['running', 'finished', 'failed', 'cancelled']) satisfies z.ZodType<RunStatus>;
const countSchema = z.number().int().min(0);

/** A `runs` row as the domain's Run; counts not yet written read as 0, a status not yet written as running. */
const runRowSchema = z.object({
  runId: z.string(),
  createdAt: z.date(),
  mode: runModeSchema,
  target: z.string(),
  hostCount: countSchema,
  status: runStatusSchema,
  counts: z.object({ ok: countSchema, changed: countSchema, failed: countSchema, skipped: countSchema, unreachable: countSchema, rejected: countSchema }),
  hostsDone: countSchema,
  hostsCancelled: countSchema.optional(),
  finishedAt: z.date().nullable(),
  stateRevision: z.string().nullable(),
}) satisfies z.ZodType<Run>;

export function fromRunRow(row: types.Row): Run {
  const runId = String(row.get('run_id'));
  return parseRow(runRowSchema, {
    runId,
    createdAt: row.get('created_at'),
    mode: row.get('mode'),
    target: row.get('target'),
    hostCount: row.get('host_count') ?? 0,
    status: row.get('status') ?? 'running',
    counts: countsFromRow(row),
    hostsDone: row.get('hosts_done') ?? 0,
    ...(row.get('hosts_cancelled') == null ? {} : { hostsCancelled: row.get('hosts_cancelled') }),
    finishedAt: row.get('finished_at') ?? null,
    stateRevision: row.get('state_revision') ?? null,
  }, `runs row for run ${runId}`);
}
