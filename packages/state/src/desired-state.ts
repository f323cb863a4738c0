import type { Host, Operation } from '@simplecm/domain';

/** One host's desired configuration: the host and its operations, `seq` 0..n-1 in order. */
export interface DesiredHost {
  readonly host: Host;
  readonly operations: readonly Operation[];
}

/**
 * The whole fleet's desired state, hosts by name. Both what a state directory compiles to and
 * what Cassandra holds are read into this one shape, in one normal form, so they can be compared
 * with a deep equality: groups sorted, vars by name, each operation's `become` null when unset,
 * `tags` sorted and `whenChanged` present only when not empty.
 */
export interface DesiredState {
  readonly hosts: readonly DesiredHost[];
}

export function normalizeOperation(op: Operation): Operation {
  const tags = [...new Set(op.tags ?? [])].sort();
  const whenChanged = [...new Set(op.whenChanged ?? [])];
  return {
    seq: op.seq,
    name: op.name,
    module: op.module,
    attributes: op.attributes,
    become: op.become ?? null,
    ...(tags.length > 0 ? { tags } : {}),
    ...(whenChanged.length > 0 ? { whenChanged } : {}),
  };
}

export function normalizeHost(host: Host): Host {
  const vars: Record<string, string> = {};
  for (const key of Object.keys(host.vars).sort()) vars[key] = host.vars[key]!;
  return { ...host, groups: [...new Set(host.groups)].sort(), vars, become: host.become ?? null };
}

/** A DesiredState in normal form, hosts sorted by name. */
export function desiredState(hosts: Iterable<DesiredHost>): DesiredState {
  const list = [...hosts].map((h) => ({ host: normalizeHost(h.host), operations: h.operations.map(normalizeOperation) }));
  list.sort((a, b) => (a.host.hostname < b.host.hostname ? -1 : a.host.hostname > b.host.hostname ? 1 : 0));
  return { hosts: list };
}
