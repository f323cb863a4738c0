import { assertNever, type Host, type Operation } from '@simplecm/domain';
import { canonicalJson } from './canonical-json';
import type { DesiredHost, DesiredState } from './desired-state';
import { diffLines, formatLineDiff } from './line-diff';

/** A field of a host that differs: `address`, `vars.app_port`, … (undefined: absent). */
export interface FieldChange {
  readonly field: string;
  readonly from: string | undefined;
  readonly to: string | undefined;
}

/** How one operation of a host differs; operations are matched by name (unique within a host). */
export type OperationChange =
  | { readonly kind: 'added'; readonly operation: Operation }
  | { readonly kind: 'removed'; readonly operation: Operation }
  | { readonly kind: 'moved'; readonly name: string; readonly from: number; readonly to: number }
  | { readonly kind: 'changed'; readonly before: Operation; readonly after: Operation };

export interface HostChange {
  readonly hostname: string;
  readonly fields: readonly FieldChange[];
  readonly operations: readonly OperationChange[];
  /** The host as it should become. */
  readonly desired: DesiredHost;
  /** Its groups before, to remove the memberships it left. */
  readonly currentGroups: readonly string[];
}

/** What `apply` would change: from `current` (Cassandra) to `desired` (the state directory). */
export interface StateDiff {
  readonly added: readonly DesiredHost[];
  readonly removed: readonly DesiredHost[];
  readonly changed: readonly HostChange[];
  readonly unchanged: number;
}

export function isEmptyDiff(diff: StateDiff): boolean {
  return diff.added.length === 0 && diff.removed.length === 0 && diff.changed.length === 0;
}

export function diffStates(current: DesiredState, desired: DesiredState): StateDiff {
  const before = new Map(current.hosts.map((h) => [h.host.hostname, h]));
  const after = new Set(desired.hosts.map((h) => h.host.hostname));
  const added: DesiredHost[] = [];
  const changed: HostChange[] = [];
  let unchanged = 0;
  for (const d of desired.hosts) {
    const c = before.get(d.host.hostname);
    if (c === undefined) added.push(d);
    else if (canonicalJson(c) === canonicalJson(d)) unchanged++;
    else changed.push({ hostname: d.host.hostname, fields: hostFieldChanges(c.host, d.host), operations: operationChanges(c.operations, d.operations), desired: d, currentGroups: c.host.groups });
  }
  const removed = current.hosts.filter((h) => !after.has(h.host.hostname));
  return { added, removed, changed, unchanged };
}

function hostFieldChanges(c: Host, d: Host): FieldChange[] {
  const changes: FieldChange[] = [];
  const show = (v: unknown) => (v === undefined ? undefined : typeof v === 'string' ? v : canonicalJson(v));
  for (const field of ['address', 'port', 'user', 'keyName', 'become', 'groups', 'hostKeys'] as const) {
    if (canonicalJson(c[field]) !== canonicalJson(d[field])) changes.push({ field, from: show(c[field]), to: show(d[field]) });
  }
  for (const name of [...new Set([...Object.keys(c.vars), ...Object.keys(d.vars)])].sort()) {
    if (c.vars[name] !== d.vars[name]) changes.push({ field: `vars.${name}`, from: c.vars[name], to: d.vars[name] });
  }
  return changes;
}

/** The fields of an operation compared, `seq` aside (order is compared separately). */
function content(op: Operation): string {
  return canonicalJson({ ...op, seq: undefined });
}

function operationChanges(current: readonly Operation[], desired: readonly Operation[]): OperationChange[] {
  const before = new Map(current.map((o) => [o.name, o]));
  const after = new Map(desired.map((o) => [o.name, o]));
  const changes: OperationChange[] = [];
  for (const op of current) if (!after.has(op.name)) changes.push({ kind: 'removed', operation: op });
  for (const op of desired) if (!before.has(op.name)) changes.push({ kind: 'added', operation: op });
  // Reordered: the operations both sides have, in a different relative order.
  const commonBefore = current.filter((o) => after.has(o.name)).map((o) => o.name);
  const commonAfter = desired.filter((o) => before.has(o.name)).map((o) => o.name);
  commonAfter.forEach((name, i) => {
    if (commonBefore[i] !== name) changes.push({ kind: 'moved', name, from: before.get(name)!.seq, to: after.get(name)!.seq });
  });
  for (const op of desired) {
    const old = before.get(op.name);
    if (old !== undefined && content(old) !== content(op)) changes.push({ kind: 'changed', before: old, after: op });
  }
  return changes;
}

/** `3 hosts added, 1 removed, 2 changed (4 operations added, …), 10 unchanged`, or `no changes`. */
export function summarizeDiff(diff: StateDiff): string {
  if (isEmptyDiff(diff)) return `no changes (${diff.unchanged} host(s) unchanged)`;
  const counts = { added: 0, removed: 0, moved: 0, changed: 0 };
  for (const h of diff.changed) for (const o of h.operations) counts[o.kind]++;
  const ops = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k === 'moved' ? 'reordered' : k}`);
  const hosts = [`${diff.added.length} added`, `${diff.removed.length} removed`, `${diff.changed.length} changed${ops.length > 0 ? ` (operations: ${ops.join(', ')})` : ''}`];
  return `hosts: ${hosts.join(', ')}, ${diff.unchanged} unchanged`;
}

function describeHost(h: DesiredHost): string {
  return `${h.host.user}@${h.host.address}:${h.host.port}, groups ${h.host.groups.join(',')}, ${h.operations.length} operation(s)`;
}

function describeOp(op: Operation): string {
  return `operation #${op.seq} "${op.name}" (${op.module})`;
}

/** An operation as lines to diff: its fields, then one attribute per line (multi-line text as a block). */
function operationLines(op: Operation): string[] {
  const lines = [`module: ${op.module}`, `become: ${op.become ?? '-'}`];
  if (op.tags?.length) lines.push(`tags: ${op.tags.join(', ')}`);
  if (op.whenChanged?.length) lines.push(`when_changed: ${op.whenChanged.join(', ')}`);
  for (const key of Object.keys(op.attributes).sort()) {
    const value = op.attributes[key]!;
    if (typeof value === 'string' && value.includes('\n')) {
      lines.push(`${key}: |`, ...value.replace(/\n$/, '').split('\n').map((l) => `    ${l}`));
      if (!value.endsWith('\n')) lines.push('    (no final line break)');
    } else lines.push(`${key}: ${JSON.stringify(value)}`);
  }
  return lines;
}

/** The diff for a person: `+`/`-`/`~` per host, operations inside, attribute changes as a line diff. */
export function formatDiff(diff: StateDiff): string {
  const out: string[] = [];
  for (const h of diff.added) out.push(`+ host ${h.host.hostname} (${describeHost(h)})`);
  for (const h of diff.removed) out.push(`- host ${h.host.hostname} (${describeHost(h)})`);
  for (const h of diff.changed) {
    out.push(`~ host ${h.hostname}`);
    for (const f of h.fields) out.push(`    ${f.field}: ${f.from ?? '(none)'} → ${f.to ?? '(none)'}`);
    for (const o of h.operations) {
      switch (o.kind) {
        case 'added':
          out.push(`    + ${describeOp(o.operation)}`);
          break;
        case 'removed':
          out.push(`    - ${describeOp(o.operation)}`);
          break;
        case 'moved':
          out.push(`    ↕ operation "${o.name}" moved from #${o.from} to #${o.to}`);
          break;
        case 'changed':
          out.push(`    ~ ${describeOp(o.after)}`, '        --- current (Cassandra)', '        +++ desired (state directory)');
          for (const line of formatLineDiff(diffLines(operationLines(o.before), operationLines(o.after)))) out.push(`        ${line}`);
          break;
        default:
          assertNever(o);
      }
    }
  }
  out.push(summarizeDiff(diff));
  return out.join('\n');
}
