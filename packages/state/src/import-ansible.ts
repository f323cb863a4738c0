import path from 'node:path';
import { errorMessage, SimpleCmError } from '@simplecm/kernel';
import { parse, stringify } from 'yaml';
import { groupTree } from './group-precedence';
import { variableNamePattern } from './variables';

/**
 * `import-ansible`: an Ansible inventory (INI or YAML) as a SimpleCM inventory.yaml. Groups,
 * children and vars are kept; the connection variables become host fields, taken with
 * Ansible's precedence (all < parent groups < child groups < host): ansible_host → address,
 * ansible_port → port, ansible_user → user, ansible_ssh_private_key_file → key (the file's
 * name: SimpleCM keys are names in the workers' keys directory), ansible_become_user (when
 * ansible_become is true) → become. Other ansible_* variables have no SimpleCM meaning and are
 * dropped with a warning.
 */
export interface AnsibleImport {
  /** The inventory.yaml text. */
  readonly inventory: string;
  readonly hostCount: number;
  readonly groupCount: number;
  /** What could not be carried over, one line each. */
  readonly warnings: readonly string[];
}

export interface AnsibleImportOptions {
  /** Key name for hosts without ansible_ssh_private_key_file; default `id_ed25519`. */
  readonly defaultKey?: string;
}

/** Raised for an inventory that cannot be read (one line, with the line number for INI). */
export class AnsibleInventoryError extends SimpleCmError<'invalid-ansible-inventory'> {
  override readonly name = 'AnsibleInventoryError';
  readonly code = 'invalid-ansible-inventory' as const;
}

type Vars = Record<string, string>;

interface AnsibleGroup {
  readonly hosts: Set<string>;
  readonly children: Set<string>;
  vars: Vars;
}

/** Groups by name, and each host's own vars, in the order first seen. */
interface AnsibleInventory {
  readonly groups: Map<string, AnsibleGroup>;
  readonly hostVars: Map<string, Vars>;
}

function group(inv: AnsibleInventory, name: string): AnsibleGroup {
  let g = inv.groups.get(name);
  if (g === undefined) {
    g = { hosts: new Set(), children: new Set(), vars: {} };
    inv.groups.set(name, g);
  }
  return g;
}

function addHost(inv: AnsibleInventory, groupName: string, host: string, vars: Vars): void {
  group(inv, groupName).hosts.add(host);
  inv.hostVars.set(host, { ...inv.hostVars.get(host), ...vars });
}

/** `web[01:03].x` → web01.x, web02.x, web03.x (numeric and single-letter ranges, as Ansible's). */
export function expandHostPattern(pattern: string): string[] {
  const m = /^(.*?)\[([0-9a-z]+):([0-9a-z]+)\](.*)$/.exec(pattern);
  if (m === null) return [pattern];
  const [, head, from, to, tail] = m as unknown as [string, string, string, string, string];
  const out: string[] = [];
  if (/^\d+$/.test(from) && /^\d+$/.test(to)) {
    const width = from.startsWith('0') ? from.length : 0;
    for (let i = Number(from); i <= Number(to); i++) out.push(`${head}${String(i).padStart(width, '0')}${tail}`);
  } else if (/^[a-z]$/.test(from) && /^[a-z]$/.test(to)) {
    for (let c = from.charCodeAt(0); c <= to.charCodeAt(0); c++) out.push(`${head}${String.fromCharCode(c)}${tail}`);
  } else {
    throw new AnsibleInventoryError(`host pattern "${pattern}": unsupported range`);
  }
  return out.flatMap(expandHostPattern);
}

/** `k=v k2="v 2"` pairs (shell-like quoting, as Ansible's INI). */
function keyValues(text: string, where: string): Vars {
  const vars: Vars = {};
  const re = /\s*([^\s=]+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/y;
  let rest = text.trim();
  while (rest.length > 0) {
    re.lastIndex = 0;
    const m = re.exec(rest);
    if (m === null) throw new AnsibleInventoryError(`${where}: expected key=value, got "${rest}"`);
    const raw = m[2]!;
    vars[m[1]!] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw.startsWith("'") ? raw.slice(1, -1) : raw;
    rest = rest.slice(m[0].length).trim();
  }
  return vars;
}

export function parseAnsibleIni(text: string): AnsibleInventory {
  const inv: AnsibleInventory = { groups: new Map(), hostVars: new Map() };
  let section = { name: 'ungrouped', kind: 'hosts' as 'hosts' | 'children' | 'vars' };
  text.split(/\r?\n/).forEach((rawLine, i) => {
    const where = `line ${i + 1}`;
    const line = rawLine.replace(/^\s*[#;].*$/, '').trim();
    if (line === '') return;
    const header = /^\[([^\]:]+)(?::(children|vars))?\]$/.exec(line);
    if (header) {
      section = { name: header[1]!, kind: (header[2] as 'children' | 'vars' | undefined) ?? 'hosts' };
      group(inv, section.name);
      return;
    }
    if (line.startsWith('[')) throw new AnsibleInventoryError(`${where}: malformed section header "${line}"`);
    switch (section.kind) {
      case 'hosts': {
        const [pattern, ...rest] = line.split(/\s+/);
        const vars = keyValues(rest.join(' '), where);
        for (const host of expandHostPattern(pattern!)) addHost(inv, section.name, host, vars);
        return;
      }
      case 'children':
        group(inv, section.name).children.add(line);
        group(inv, line);
        return;
      case 'vars': {
        // One `key=value` a line; spaces around `=` allowed, the value quoted or not.
        const eq = line.indexOf('=');
        if (eq <= 0) throw new AnsibleInventoryError(`${where}: expected key=value, got "${line}"`);
        Object.assign(group(inv, section.name).vars, keyValues(`${line.slice(0, eq).trim()}=${line.slice(eq + 1).trim() || "''"}`, where));
        return;
      }
    }
  });
  return inv;
}

function scalarVars(value: unknown, where: string, warnings: string[]): Vars {
  const vars: Vars = {};
  if (value === null || value === undefined) return vars;
  if (typeof value !== 'object' || Array.isArray(value)) throw new AnsibleInventoryError(`${where}: vars must be a map`);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') vars[k] = String(v);
    else warnings.push(`${where}: variable "${k}" is not a scalar (SimpleCM vars are text): dropped`);
  }
  return vars;
}

export function parseAnsibleYaml(text: string, warnings: string[]): AnsibleInventory {
  const inv: AnsibleInventory = { groups: new Map(), hostVars: new Map() };
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new AnsibleInventoryError(`malformed YAML: ${errorMessage(error).split('\n')[0]}`, { cause: error });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new AnsibleInventoryError('the inventory must be a map of groups');
  const visit = (name: string, body: unknown) => {
    const g = group(inv, name);
    if (body === null || body === undefined) return;
    if (typeof body !== 'object' || Array.isArray(body)) throw new AnsibleInventoryError(`group "${name}" must be a map`);
    const { hosts, children, vars } = body as { hosts?: unknown; children?: unknown; vars?: unknown };
    g.vars = { ...g.vars, ...scalarVars(vars, `group "${name}"`, warnings) };
    for (const [pattern, hv] of Object.entries((hosts ?? {}) as Record<string, unknown>)) {
      for (const host of expandHostPattern(pattern)) addHost(inv, name, host, scalarVars(hv, `host "${host}"`, warnings));
    }
    for (const [child, cb] of Object.entries((children ?? {}) as Record<string, unknown>)) {
      g.children.add(child);
      visit(child, cb);
    }
  };
  for (const [name, body] of Object.entries(doc)) visit(name, body);
  return inv;
}

const connectionVars = ['ansible_host', 'ansible_port', 'ansible_user', 'ansible_ssh_private_key_file', 'ansible_become', 'ansible_become_user'];

/** The vars SimpleCM keeps: not ansible_*, and named as SimpleCM variables (others dropped with a warning). */
function keptVars(vars: Vars, where: string, warnings: string[]): Vars {
  const kept: Vars = {};
  for (const [k, v] of Object.entries(vars)) {
    if (k.startsWith('ansible_')) continue;
    if (variableNamePattern.test(k)) kept[k] = v;
    else warnings.push(`${where}: variable "${k}" is not a SimpleCM variable name (letters, digits, underscores): dropped`);
  }
  return kept;
}

/** Converts an Ansible inventory (`file` only decides INI or YAML by its extension, then by content). */
export function importAnsibleInventory(file: string, text: string, { defaultKey = 'id_ed25519' }: AnsibleImportOptions = {}): AnsibleImport {
  const warnings: string[] = [];
  const yamlLike = /\.ya?ml$/i.test(file) || (!/\.ini$/i.test(file) && !/^\s*\[[^\]]+\]\s*$/m.test(text));
  const inv = yamlLike ? parseAnsibleYaml(text, warnings) : parseAnsibleIni(text);
  const hosts: Record<string, unknown> = {};
  const tree = groupTree([...inv.groups].map(([name, g]) => [name, g.children] as const));
  for (const [host, own] of inv.hostVars) {
    const effective: Vars = {};
    const direct = [...inv.groups].filter(([, g]) => g.hosts.has(host)).map(([name]) => name);
    for (const g of tree.groupsOf(direct)) Object.assign(effective, inv.groups.get(g)?.vars ?? {});
    Object.assign(effective, own);
    for (const k of Object.keys(effective)) {
      if (k.startsWith('ansible_') && !connectionVars.includes(k)) warnings.push(`host "${host}": ${k} has no SimpleCM equivalent: dropped`);
    }
    const groups = [...inv.groups].filter(([name, g]) => g.hosts.has(host) && name !== 'all' && name !== 'ungrouped').map(([name]) => name);
    const become = /^(true|yes|1)$/i.test(effective.ansible_become ?? '') ? (effective.ansible_become_user ?? 'root') : undefined;
    const vars = keptVars(own, `host "${host}"`, warnings);
    hosts[host] = {
      address: effective.ansible_host ?? host,
      port: Number(effective.ansible_port ?? 22),
      user: effective.ansible_user ?? 'root',
      key: effective.ansible_ssh_private_key_file ? path.basename(effective.ansible_ssh_private_key_file) : defaultKey,
      ...(become ? { become } : {}),
      ...(groups.length > 0 ? { groups } : {}),
      ...(Object.keys(vars).length > 0 ? { vars } : {}),
    };
  }
  const groups: Record<string, unknown> = {};
  for (const [name, g] of inv.groups) {
    if (name === 'ungrouped') continue;
    const vars = keptVars(g.vars, `group "${name}"`, warnings);
    const children = [...g.children].filter((c) => c !== 'ungrouped');
    if (name === 'all' && Object.keys(vars).length === 0) continue;
    groups[name] = { ...(Object.keys(vars).length > 0 ? { vars } : {}), ...(children.length > 0 && name !== 'all' ? { children } : {}) };
  }
  const inventory = `# Imported from the Ansible inventory ${path.basename(file)} by SimpleCM import-ansible.\n${stringify({ hosts, groups }, { lineWidth: 0, aliasDuplicateObjects: false })}`;
  return { inventory, hostCount: Object.keys(hosts).length, groupCount: Object.keys(groups).length, warnings: [...new Set(warnings)] };
}
