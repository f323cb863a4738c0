import type { types } from 'cassandra-driver';
import { z } from 'zod';
import {
  hostSchema,
  operationSchema,
  type Host,
  type Operation,
  operationResultSchema,
  type OperationResult,
} from '@simplecm/domain';

/** Raised when a row read from Cassandra does not satisfy the domain's schema. */
export class InvalidRowError extends Error {
  override readonly name = 'InvalidRowError';
  readonly code = 'invalid-row' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

function issuesText(error: z.ZodError): string {
  return error.issues.map((i) => `field "${i.path.join('.') || '(row)'}": ${i.message}`).join('; ');
}

export function fromHostRow(row: types.Row): Host {
  const hostname = String(row.get('hostname'));
  const parsed = hostSchema.safeParse({
    hostname,
    address: row.get('address'),
    port: row.get('port'),
    user: row.get('ssh_user'),
    keyName: row.get('key_name'),
    groups: row.get('groups') ?? [],
    vars: row.get('vars') ?? {},
    hostKeys: row.get('host_keys') ?? [],
    become: row.get('become') ?? null,
  });
  if (!parsed.success) throw new InvalidRowError(`inventory row for host ${hostname}: ${issuesText(parsed.error)}`);
  return parsed.data;
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
  const parsed = operationSchema.safeParse({
    seq,
    name: row.get('name'),
    module: row.get('module'),
    attributes,
    become: row.get('become') ?? null,
  });
  if (!parsed.success) {
    throw new InvalidRowError(`host ${hostname}, operation #${seq} "${String(row.get('name'))}": ${issuesText(parsed.error)}`);
  }
  return parsed.data;
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
