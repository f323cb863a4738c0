import { groupNameSchema, hostnameSchema, hostSchema, type Host } from '@simplecm/domain';
import type { Node } from 'yaml';
import { groupTree, type GroupTree } from './group-precedence';
import type { SourcePosition, StateProblem } from './problem';
import { variableNamePattern } from './variables';
import { checkFields, entry, mapEntries, scalarText, stringList, type YamlEntry, type YamlSource } from './yaml-source';

/**
 * The inventory format (`inventory.yaml`, or every `inventory/*.yaml`):
 *
 *     defaults: { port: 22, user: root, key: fleet, become: null }   # for this file's hosts
 *     hosts:
 *       web1: { address: 10.0.0.1, groups: [web], vars: { app_port: 8080 } }
 *     groups:
 *       web: { vars: { app_port: 80 }, children: [canary] }
 *
 * A host's fields: address (default: its name), port (22), user (root), key (required, here or in
 * defaults), become (null), host_keys ([]), groups, vars. A group's children are groups whose
 * hosts are members of it too. Every host is in the group `all`.
 */
export interface HostDefinition {
  readonly hostname: string;
  readonly at: SourcePosition;
  /** Host fields but groups and vars, as the domain names them, before validation. */
  readonly fields: Record<string, unknown>;
  /** Where each field was written, by domain name (for problems). */
  readonly fieldAt: Record<string, SourcePosition>;
  readonly groups: readonly string[];
  readonly vars: Readonly<Record<string, string>>;
}

export interface GroupDefinition {
  readonly name: string;
  readonly at: SourcePosition;
  readonly vars: Readonly<Record<string, string>>;
  readonly children: readonly string[];
}

export interface Inventory {
  readonly hosts: Map<string, HostDefinition>;
  readonly groups: Map<string, GroupDefinition>;
}


const hostFields = ['address', 'port', 'user', 'key', 'become', 'host_keys', 'groups', 'vars'] as const;
const defaultFields = ['port', 'user', 'key', 'become'] as const;
/** Inventory field → domain Host field. */
const domainField: Record<string, string> = { address: 'address', port: 'port', user: 'user', key: 'keyName', become: 'become', host_keys: 'hostKeys' };

function describe(at: SourcePosition): string {
  return `${at.file}:${at.line}:${at.column}`;
}

/** A scalar as the value it stands for: numbers stay numbers (for port), null stays null. */
function scalarValue(node: Node | null): unknown {
  if (node === null) return null;
  return (node as { value?: unknown }).value;
}

/** A `vars:` map: names checked, scalar values as strings. */
export function readVars(src: YamlSource, node: Node | null, what: string, problems: StateProblem[]): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const e of mapEntries(src, node, what, problems) ?? []) {
    if (!variableNamePattern.test(e.key)) {
      problems.push({ ...src.at(e.keyNode), message: `${what}: "${e.key}" is not a variable name (letters, digits, underscores)` });
      continue;
    }
    const value = scalarText(src, e.value, `variable "${e.key}"`, problems);
    if (value !== undefined) vars[e.key] = value;
  }
  return vars;
}

/** Adds one inventory file's hosts and groups to `inventory`; problems for what is wrong. */
export function readInventoryFile(src: YamlSource, inventory: Inventory, problems: StateProblem[]): void {
  const top = mapEntries(src, src.root, 'the inventory', problems);
  if (top === undefined) return;
  checkFields(src, top, ['defaults', 'hosts', 'groups'], 'the inventory', problems);
  const defaults: Record<string, unknown> = {};
  const defaultsAt: Record<string, SourcePosition> = {};
  const defaultsEntry = entry(top, 'defaults');
  if (defaultsEntry) {
    const entries = mapEntries(src, defaultsEntry.value, 'defaults', problems) ?? [];
    checkFields(src, entries, defaultFields, 'defaults', problems);
    for (const e of entries) {
      const field = domainField[e.key];
      if (field === undefined) continue;
      defaults[field] = scalarValue(e.value);
      defaultsAt[field] = src.at(e.value ?? e.keyNode);
    }
  }
  const hostsEntry = entry(top, 'hosts');
  for (const e of (hostsEntry && mapEntries(src, hostsEntry.value, 'hosts', problems)) ?? []) {
    readHost(src, e, defaults, defaultsAt, inventory, problems);
  }
  const groupsEntry = entry(top, 'groups');
  for (const e of (groupsEntry && mapEntries(src, groupsEntry.value, 'groups', problems)) ?? []) {
    const at = newDefinition(src, e, 'group', groupNameSchema, inventory.groups, problems);
    if (at === undefined) continue;
    const fields = mapEntries(src, e.value, `group "${e.key}"`, problems) ?? [];
    checkFields(src, fields, ['vars', 'children'], `group "${e.key}"`, problems);
    const varsEntry = entry(fields, 'vars');
    const childrenEntry = entry(fields, 'children');
    inventory.groups.set(e.key, {
      name: e.key,
      at,
      vars: varsEntry ? readVars(src, varsEntry.value, `group "${e.key}" vars`, problems) : {},
      children: (childrenEntry && stringList(src, childrenEntry.value, `group "${e.key}" children`, problems)) ?? [],
    });
  }
}

/** Where a host or group is defined; undefined (and a problem) for a bad or second definition. */
function newDefinition(
  src: YamlSource,
  e: YamlEntry,
  kind: 'host' | 'group',
  nameSchema: { safeParse(v: unknown): { success: boolean } },
  defined: ReadonlyMap<string, { at: SourcePosition }>,
  problems: StateProblem[],
): SourcePosition | undefined {
  const at = src.at(e.keyNode);
  if (!nameSchema.safeParse(e.key).success) {
    problems.push({ ...at, message: `"${e.key}" is not a ${kind} name (letters, digits, dots, dashes, underscores)` });
    return undefined;
  }
  const previous = defined.get(e.key);
  if (previous) {
    problems.push({ ...at, message: `${kind} "${e.key}" is defined twice (also at ${describe(previous.at)})` });
    return undefined;
  }
  return at;
}

function readHost(
  src: YamlSource,
  e: YamlEntry,
  defaults: Record<string, unknown>,
  defaultsAt: Record<string, SourcePosition>,
  inventory: Inventory,
  problems: StateProblem[],
): void {
  const at = newDefinition(src, e, 'host', hostnameSchema, inventory.hosts, problems);
  if (at === undefined) return;
  const what = `host "${e.key}"`;
  const entries = mapEntries(src, e.value, what, problems) ?? [];
  checkFields(src, entries, hostFields, what, problems);
  const fields: Record<string, unknown> = { port: 22, user: 'root', become: null, hostKeys: [], address: e.key, ...defaults };
  const fieldAt: Record<string, SourcePosition> = { ...defaultsAt };
  let groups: string[] = [];
  let vars: Record<string, string> = {};
  for (const f of entries) {
    if (f.key === 'groups') groups = stringList(src, f.value, `${what} groups`, problems) ?? [];
    else if (f.key === 'vars') vars = readVars(src, f.value, `${what} vars`, problems);
    else if (f.key === 'host_keys') {
      fields.hostKeys = stringList(src, f.value, `${what} host_keys`, problems) ?? [];
      fieldAt.hostKeys = src.at(f.value ?? f.keyNode);
    } else {
      const field = domainField[f.key];
      if (field === undefined) continue;
      fields[field] = scalarValue(f.value);
      fieldAt[field] = src.at(f.value ?? f.keyNode);
    }
  }
  for (const g of groups) {
    if (!groupNameSchema.safeParse(g).success) problems.push({ ...at, message: `${what}: "${g}" is not a group name` });
  }
  inventory.hosts.set(e.key, { hostname: e.key, at, fields, fieldAt, groups, vars });
}

/** Inventory field name of a domain Host field, for messages. */
function inventoryField(field: string): string {
  return Object.entries(domainField).find(([, d]) => d === field)?.[0] ?? field;
}

/**
 * A host as the domain has it: its groups (its own, their ancestors and `all`, sorted) and its
 * vars by precedence (`all` first, then groups from the top of the tree down, a child's over its
 * parents', groups of equal depth by name, the host's own last). Undefined when invalid.
 */
export function resolveHost(inventory: Inventory, def: HostDefinition, problems: StateProblem[]): Host | undefined {
  const groups = treeOf(inventory).groupsOf(def.groups);
  const vars: Record<string, string> = {};
  for (const g of groups) Object.assign(vars, inventory.groups.get(g)?.vars ?? {});
  Object.assign(vars, def.vars);
  const candidate = { hostname: def.hostname, ...def.fields, groups: [...groups].sort(), vars: sortedRecord(vars) };
  const parsed = hostSchema.safeParse(candidate);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    const field = String(issue.path[0] ?? '');
    const at = def.fieldAt[field] ?? def.at;
    problems.push({ ...at, message: `host "${def.hostname}": ${inventoryField(field)}: ${issue.message}` });
  }
  return undefined;
}

export function sortedRecord<V>(record: Readonly<Record<string, V>>): Record<string, V> {
  const out: Record<string, V> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key]!;
  return out;
}

const trees = new WeakMap<Inventory, GroupTree>();

/** The inventory's group tree, built once per inventory. */
function treeOf(inventory: Inventory): GroupTree {
  let tree = trees.get(inventory);
  if (tree === undefined) {
    tree = groupTree([...inventory.groups.values()].map((g) => [g.name, g.children] as const));
    trees.set(inventory, tree);
  }
  return tree;
}

/** A group that is its own ancestor is a problem (reported at the group). */
export function checkGroupCycles(inventory: Inventory, problems: StateProblem[]): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting') {
      const def = inventory.groups.get(name);
      if (def) problems.push({ ...def.at, message: `group "${name}" is its own descendant: ${[...path.slice(path.indexOf(name)), name].join(' → ')}` });
      return;
    }
    state.set(name, 'visiting');
    for (const child of inventory.groups.get(name)?.children ?? []) visit(child, [...path, name]);
    state.set(name, 'done');
  };
  for (const name of [...inventory.groups.keys()].sort()) visit(name, []);
}
