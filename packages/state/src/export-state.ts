import type { AttributeValue, Operation } from '@simplecm/domain';
import { stringify } from 'yaml';
import { canonicalJson } from './canonical-json';
import type { DesiredHost, DesiredState } from './desired-state';
import { ALL_GROUP } from './group-precedence';
import type { StateFiles } from './state-files';
import { escapeVariables } from './variables';

/** No line folding, and no anchors/aliases for values that happen to be the same object. */
const yamlOptions = { lineWidth: 0, aliasDuplicateObjects: false } as const;

/** A value as written in a role: text escaped so that variable substitution gives it back unchanged. */
function literal(value: AttributeValue): AttributeValue {
  if (typeof value === 'string') return escapeVariables(value);
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? escapeVariables(v) : v));
  return value;
}

function roleOperation(op: Operation): Record<string, unknown> {
  const attributes: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(op.attributes)) attributes[k] = literal(v);
  return {
    name: op.name,
    module: op.module,
    attributes,
    ...(op.become ? { become: op.become } : {}),
    ...(op.tags?.length ? { tags: op.tags } : {}),
    ...(op.whenChanged?.length ? { when_changed: op.whenChanged } : {}),
  };
}

function inventoryHost({ host }: DesiredHost): Record<string, unknown> {
  const groups = host.groups.filter((g) => g !== ALL_GROUP);
  return {
    address: host.address,
    port: host.port,
    user: host.user,
    key: host.keyName,
    ...(host.become ? { become: host.become } : {}),
    ...(host.hostKeys.length > 0 ? { host_keys: host.hostKeys } : {}),
    ...(groups.length > 0 ? { groups } : {}),
    ...(Object.keys(host.vars).length > 0 ? { vars: host.vars } : {}),
  };
}

/**
 * A state directory's files for a desired state (what `state export` writes): inventory.yaml with
 * every host (its vars as they apply to it, groups flattened), one role per distinct operation
 * list (`roles/ops-N.yaml`), and site.yaml giving each role to its hosts. Compiling these files
 * gives the same desired state back.
 */
export function exportState(state: DesiredState): StateFiles {
  const files = new Map<string, string>();
  const hosts: Record<string, unknown> = {};
  for (const h of state.hosts) hosts[h.host.hostname] = inventoryHost(h);
  files.set('inventory.yaml', `# Exported by SimpleCM from Cassandra.\n${stringify({ hosts }, yamlOptions)}`);
  // Hosts with the same operations share a role, in the order their first host comes.
  const roles = new Map<string, { hosts: string[]; operations: readonly Operation[] }>();
  for (const h of state.hosts) {
    if (h.operations.length === 0) continue;
    const key = canonicalJson(h.operations.map((op) => ({ ...op, seq: undefined })));
    const role = roles.get(key);
    if (role) role.hosts.push(h.host.hostname);
    else roles.set(key, { hosts: [h.host.hostname], operations: h.operations });
  }
  const site: Array<{ hosts: string[]; roles: string[] }> = [];
  [...roles.values()].forEach((role, i) => {
    const name = `ops-${i + 1}`;
    files.set(`roles/${name}.yaml`, stringify(role.operations.map(roleOperation), yamlOptions));
    site.push({ hosts: role.hosts, roles: [name] });
  });
  files.set('site.yaml', site.length > 0 ? stringify(site, yamlOptions) : '[]\n');
  return files;
}
