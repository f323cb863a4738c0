import { operationSchema, type Attributes, type AttributeValue, type Host, type Operation } from '@simplecm/domain';
import { InvalidOperationError, validateOperation, type LoadedModule, type ModuleRegistry } from '@simplecm/modules';
import { desiredState, normalizeOperation, type DesiredHost, type DesiredState } from './desired-state';
import { ALL_GROUP } from './group-precedence';
import { checkGroupCycles, readInventoryFile, resolveHost, type Inventory } from './inventory';
import { sortProblems, type SourcePosition, type StateProblem } from './problem';
import { rawAttribute, readRole, roleNameOf, type OperationDefinition, type RoleDefinition } from './roles';
import { readSite, type Play } from './site';
import type { StateFiles } from './state-files';
import { substituteVariables } from './variables';
import type { Node } from 'yaml';
import { atInScalar, parseYamlSource, textPositions, type YamlSource } from './yaml-source';

export interface CompiledState {
  /** The hosts that compiled; complete only when there are no problems. */
  readonly state: DesiredState;
  /** Every problem, sorted by file and position; empty when the directory is valid. */
  readonly problems: readonly StateProblem[];
}

/** Which file is which in a state directory. */
export function stateFileKind(file: string): 'inventory' | 'role' | 'site' | 'other' {
  if (/^inventory\.ya?ml$/.test(file) || /^inventory\/[^/]+\.ya?ml$/.test(file)) return 'inventory';
  if (roleNameOf(file) !== undefined) return 'role';
  if (/^site\.ya?ml$/.test(file)) return 'site';
  return 'other';
}

/**
 * Problems that concern a host's compiled operations: the same role line is often wrong for many
 * hosts, so each problem is listed once, with the hosts it concerns.
 */
class HostProblems {
  private readonly byKey = new Map<string, { problem: StateProblem; hosts: string[] }>();
  add(at: SourcePosition, message: string, hostname: string): void {
    const key = `${at.file}:${at.line}:${at.column}:${message}`;
    const known = this.byKey.get(key);
    if (known) known.hosts.push(hostname);
    else this.byKey.set(key, { problem: { ...at, message }, hosts: [hostname] });
  }
  list(): StateProblem[] {
    return [...this.byKey.values()].map(({ problem, hosts }) => {
      const named = hosts.slice(0, 3).join(', ');
      const more = hosts.length > 3 ? ` and ${hosts.length - 3} more` : '';
      return { ...problem, message: `${problem.message} (host${hosts.length > 1 ? 's' : ''} ${named}${more})` };
    });
  }
}

/**
 * Compiles a state directory's files into the fleet's desired state, checking everything a
 * `validate` checks: YAML, fields, modules and their attribute schemas, variables, file sources,
 * handlers, duplicates. Pure: reads only `files` and the module registry.
 */
export function compileState(files: StateFiles, registry: ModuleRegistry): CompiledState {
  const problems: StateProblem[] = [];
  const hostProblems = new HostProblems();
  const sources = (kind: ReturnType<typeof stateFileKind>): YamlSource[] =>
    [...files.keys()]
      .filter((f) => stateFileKind(f) === kind)
      .sort()
      .map((f) => parseYamlSource(f, files.get(f) ?? '', problems))
      .filter((s): s is YamlSource => s !== undefined);

  const inventorySources = sources('inventory');
  if (![...files.keys()].some((f) => stateFileKind(f) === 'inventory')) {
    problems.push({ file: 'inventory.yaml', line: 1, column: 1, message: 'no inventory: write inventory.yaml or inventory/*.yaml' });
  }
  const inventory: Inventory = { hosts: new Map(), groups: new Map() };
  for (const src of inventorySources) readInventoryFile(src, inventory, problems);
  checkGroupCycles(inventory, problems);

  const roles = new Map<string, RoleDefinition>();
  for (const src of sources('role')) {
    const name = roleNameOf(src.file)!;
    const other = roles.get(name);
    if (other) problems.push({ file: src.file, line: 1, column: 1, message: `role "${name}" is defined twice (also in ${other.file})` });
    else roles.set(name, readRole(src, problems));
  }
  for (const role of roles.values()) {
    for (const op of role.operations) {
      if (!registry.modules.has(op.module)) {
        problems.push({ ...op.moduleAt, message: `unknown module "${op.module}" (known: ${[...registry.modules.keys()].sort().join(', ')})` });
      }
    }
  }
  const plays = sources('site').flatMap((src) => readSite(src, problems));
  // A role file that does not parse is reported once, as malformed, not again by each play naming it.
  const roleFiles = new Set([...files.keys()].map(roleNameOf).filter((r): r is string => r !== undefined));
  checkPlays(plays, inventory, roleFiles, problems);

  const hosts: DesiredHost[] = [];
  for (const def of [...inventory.hosts.values()].sort((a, b) => (a.hostname < b.hostname ? -1 : 1))) {
    const host = resolveHost(inventory, def, problems);
    if (host === undefined) continue;
    const operations = compileOperations(host, plays, roles, registry, files, hostProblems);
    if (operations !== undefined) hosts.push({ host, operations });
  }
  return { state: desiredState(hosts), problems: sortProblems([...problems, ...hostProblems.list()]) };
}

function checkPlays(plays: readonly Play[], inventory: Inventory, roles: ReadonlySet<string>, problems: StateProblem[]): void {
  const groups = new Set<string>([ALL_GROUP, ...inventory.groups.keys()]);
  for (const h of inventory.hosts.values()) h.groups.forEach((g) => groups.add(g));
  for (const g of inventory.groups.values()) g.children.forEach((c) => groups.add(c));
  // A play's `hosts` names a group or a host: a host named like a group would make it mean both.
  for (const h of inventory.hosts.values()) {
    if (groups.has(h.hostname)) problems.push({ ...h.at, message: `host "${h.hostname}" has the name of a group, so a play's hosts: "${h.hostname}" would mean both; rename one of them` });
  }
  for (const play of plays) {
    for (const t of play.targets) {
      if (!groups.has(t) && !inventory.hosts.has(t)) problems.push({ ...play.targetsAt, message: `hosts: "${t}" is neither a group nor a host of the inventory` });
    }
    for (const r of play.roles) {
      if (!roles.has(r)) problems.push({ ...play.rolesAt, message: `roles: no role "${r}" (expected roles/${r}.yaml)` });
    }
  }
}

/** A host's operations: its plays' roles in order, seq 0..n-1, handlers linked; undefined on a problem. */
function compileOperations(
  host: Host,
  plays: readonly Play[],
  roles: ReadonlyMap<string, RoleDefinition>,
  registry: ModuleRegistry,
  files: StateFiles,
  problems: HostProblems,
): Operation[] | undefined {
  const defs: OperationDefinition[] = [];
  for (const play of plays) {
    if (!play.targets.some((t) => t === host.hostname || host.groups.includes(t))) continue;
    for (const r of play.roles) defs.push(...(roles.get(r)?.operations ?? []));
  }
  let ok = true;
  const index = new Map<string, number>();
  defs.forEach((def, i) => {
    const previous = index.get(def.name);
    if (previous !== undefined) {
      const first = defs[previous]!.at;
      problems.add(def.at, `duplicate operation name "${def.name}" for a host (also at ${first.file}:${first.line}:${first.column})`, host.hostname);
      ok = false;
    } else index.set(def.name, i);
  });
  const whenChanged = defs.map((def) => [...def.whenChanged]);
  defs.forEach((def, i) => {
    for (const watched of def.whenChanged) {
      const j = index.get(watched);
      if (j === undefined || j >= i) {
        problems.add(def.whenChangedAt, j === undefined ? `when_changed: no operation "${watched}" on this host` : `when_changed: "${watched}" does not come before this operation (a handler watches earlier operations)`, host.hostname);
        ok = false;
      }
    }
    for (const handler of def.notify) {
      const j = index.get(handler);
      if (j === undefined || j <= i) {
        problems.add(def.notifyAt, j === undefined ? `notify: no operation "${handler}" on this host` : `notify: "${handler}" does not come after this operation (a handler runs after what it watches)`, host.hostname);
        ok = false;
      } else if (!whenChanged[j]!.includes(def.name)) whenChanged[j]!.push(def.name);
    }
  });
  const operations: Operation[] = [];
  defs.forEach((def, seq) => {
    const mod = registry.modules.get(def.module);
    if (mod === undefined) {
      ok = false; // reported once, for the role
      return;
    }
    const attributes = evaluateAttributes(def, mod, host, files, problems);
    if (attributes === undefined) {
      ok = false;
      return;
    }
    const op: Operation = normalizeOperation({ seq, name: def.name, module: def.module, attributes, become: def.become, tags: [...def.tags], whenChanged: whenChanged[seq] });
    // What the store and the driver will hold it to (list lengths and the like) is checked here too.
    const domain = operationSchema.safeParse(op);
    if (!domain.success) {
      const issue = domain.error.issues[0]!;
      problems.add(def.at, `operation "${def.name}": ${issue.path.join('.') || 'operation'}: ${issue.message}`, host.hostname);
      ok = false;
      return;
    }
    try {
      validateOperation(registry, host.hostname, op);
    } catch (error) {
      if (!(error instanceof InvalidOperationError)) throw error;
      // A content read from a file is reported at its `source:` or `template:`.
      const e = def.attributes.find((a) => a.key === error.field) ?? (error.field === 'content' ? def.attributes.find((a) => isFileKey(a.key, mod)) : undefined);
      problems.add(e ? def.src.at(e.value ?? e.keyNode) : def.at, `operation "${def.name}": attribute "${error.field}": ${error.problem}`, host.hostname);
      ok = false;
      return;
    }
    operations.push(op);
  });
  return ok ? operations : undefined;
}

/** The variables an attribute or template sees: `hostname` (the host's name), then the host's vars. */
function variablesOf(host: Host): Record<string, string> {
  return { hostname: host.hostname, ...host.vars };
}

/** Attribute keys that read a file into `content` (for a module that has `content` and no attribute of that name). */
const fileKeys = { source: 'files/', template: 'templates/' } as const;

function isFileKey(key: string, mod: LoadedModule): key is keyof typeof fileKeys {
  return Object.hasOwn(fileKeys, key) && !Object.hasOwn(mod.attributes, key) && Object.hasOwn(mod.attributes, 'content');
}

/** An operation's attributes for one host: variables replaced, file sources read; undefined on a problem. */
function evaluateAttributes(def: OperationDefinition, mod: LoadedModule, host: Host, files: StateFiles, problems: HostProblems): Attributes | undefined {
  const attributes: Attributes = {};
  let ok = true;
  const vars = variablesOf(host);
  const substitute = (text: string, node: Node | null): string => {
    const result = substituteVariables(text, vars);
    for (const p of result.problems) {
      problems.add(atInScalar(def.src, node, text, p.offset), p.message, host.hostname);
      ok = false;
    }
    return result.text;
  };
  for (const e of def.attributes) {
    const localProblems: StateProblem[] = [];
    const raw = rawAttribute(def.src, e, localProblems);
    const at = def.src.at(e.value ?? e.keyNode);
    for (const p of localProblems) problems.add(p, p.message, host.hostname);
    if (raw === undefined) {
      ok = false;
      continue;
    }
    if (isFileKey(e.key, mod)) {
      if (typeof raw !== 'string') {
        problems.add(at, `attribute "${e.key}": must be a path under ${fileKeys[e.key]}`, host.hostname);
        ok = false;
        continue;
      }
      if (def.attributes.some((a) => a.key === 'content')) {
        problems.add(at, `attribute "${e.key}": give either content or ${e.key}, not both`, host.hostname);
        ok = false;
        continue;
      }
      const text = readSourceFile(e.key, raw, files);
      if (typeof text !== 'string') {
        problems.add(at, `attribute "${e.key}": ${text.problem}`, host.hostname);
        ok = false;
        continue;
      }
      attributes.content = e.key === 'template' ? renderTemplate(raw, text, host.hostname, vars, problems, () => (ok = false)) : text;
      continue;
    }
    attributes[e.key] = evaluateValue(raw, mod.attributes[e.key]?.type, (text) => substitute(text, e.value));
  }
  return ok ? attributes : undefined;
}

/** Strings get their variables; a whole-reference string becomes a number or boolean for int/bool attributes. */
function evaluateValue(raw: NonNullable<ReturnType<typeof rawAttribute>>, type: string | undefined, substitute: (text: string) => string): AttributeValue {
  if (Array.isArray(raw)) return raw.map((v) => (typeof v === 'string' ? substitute(v) : v));
  if (typeof raw !== 'string') return raw;
  const text = substitute(raw);
  if (text !== raw && /^\{\{[^{}]*\}\}$/.test(raw.trim())) {
    if (type === 'int' && /^-?\d+$/.test(text)) return Number(text);
    if (type === 'bool' && (text === 'true' || text === 'false')) return text === 'true';
  }
  return text;
}

function readSourceFile(key: keyof typeof fileKeys, file: string, files: StateFiles): string | { problem: string } {
  const dir = fileKeys[key];
  if (!file.startsWith(dir) || file.split('/').some((part) => part === '..' || part === '.' || part === '')) {
    return { problem: `"${file}" must be a path under ${dir} (no "..")` };
  }
  const text = files.get(file);
  return text ?? { problem: `file "${file}" not found in the state directory` };
}

/** A template file with the host's variables; problems at their place in the template. */
function renderTemplate(file: string, text: string, hostname: string, vars: Readonly<Record<string, string>>, problems: HostProblems, onProblem: () => void): string {
  const result = substituteVariables(text, vars);
  if (result.problems.length > 0) {
    const at = textPositions(file, text);
    for (const p of result.problems) problems.add(at(p.offset), p.message, hostname);
    onProblem();
  }
  return result.text;
}
