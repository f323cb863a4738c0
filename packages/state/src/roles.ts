import { groupNameSchema, moduleNameSchema, unixUserSchema } from '@simplecm/domain';
import { isScalar, isSeq, type Node } from 'yaml';
import type { SourcePosition, StateProblem } from './problem';
import { checkFields, entry, mapEntries, scalarText, seqItems, stringList, type YamlEntry, type YamlSource } from './yaml-source';

/**
 * A role (`roles/<name>.yaml`): an ordered list of operations.
 *
 *     - name: nginx config
 *       module: file_content
 *       attributes: { path: /etc/nginx/nginx.conf, source: files/nginx.conf }
 *       tags: [web]
 *     - name: reload nginx
 *       module: command
 *       attributes: { command: systemctl reload nginx }
 *       when_changed: [nginx config]
 *
 * `become` (a user, or null), `tags`, and either `when_changed` (earlier operations this one
 * watches: it runs only when one of them changed) or `notify` (later operations that watch this
 * one) are optional.
 */
export interface OperationDefinition {
  readonly src: YamlSource;
  readonly at: SourcePosition;
  readonly name: string;
  readonly module: string;
  readonly moduleAt: SourcePosition;
  /** The `attributes:` entries, evaluated for each host (variables differ per host). */
  readonly attributes: readonly YamlEntry[];
  readonly become: string | null;
  readonly tags: readonly string[];
  readonly whenChanged: readonly string[];
  readonly whenChangedAt: SourcePosition;
  readonly notify: readonly string[];
  readonly notifyAt: SourcePosition;
}

export interface RoleDefinition {
  readonly name: string;
  readonly file: string;
  readonly operations: readonly OperationDefinition[];
}

const operationFields = ['name', 'module', 'attributes', 'become', 'tags', 'when_changed', 'notify'] as const;

/** The role name of a file path (`roles/web.yaml` → `web`), or undefined when it is not a role file. */
export function roleNameOf(file: string): string | undefined {
  return /^roles\/([^/]+)\.ya?ml$/.exec(file)?.[1];
}

export function readRole(src: YamlSource, problems: StateProblem[]): RoleDefinition {
  const name = roleNameOf(src.file) ?? src.file;
  const operations: OperationDefinition[] = [];
  const seen = new Map<string, SourcePosition>();
  for (const item of seqItems(src, src.root, `role "${name}"`, problems) ?? []) {
    const op = readOperation(src, item, problems);
    if (op === undefined) continue;
    const previous = seen.get(op.name);
    if (previous) {
      problems.push({ ...op.at, message: `duplicate operation name "${op.name}" in role "${name}" (also at line ${previous.line})` });
      continue;
    }
    seen.set(op.name, op.at);
    operations.push(op);
  }
  return { name, file: src.file, operations };
}

function readOperation(src: YamlSource, node: Node, problems: StateProblem[]): OperationDefinition | undefined {
  const entries = mapEntries(src, node, 'an operation', problems);
  if (entries === undefined) return undefined;
  const at = src.at(node);
  checkFields(src, entries, operationFields, 'operation', problems);
  const nameEntry = entry(entries, 'name');
  const name = nameEntry ? scalarText(src, nameEntry.value, 'operation name', problems) : undefined;
  if (nameEntry === undefined) problems.push({ ...at, message: 'operation: "name" is required' });
  if (name !== undefined && (name.length === 0 || name.length > 200)) problems.push({ ...src.at(nameEntry?.value), message: 'operation name must be 1 to 200 characters' });
  const moduleEntry = entry(entries, 'module');
  const module = moduleEntry ? scalarText(src, moduleEntry.value, 'module', problems) : undefined;
  if (moduleEntry === undefined) problems.push({ ...at, message: `operation "${name ?? '?'}": "module" is required` });
  else if (module !== undefined && !moduleNameSchema.safeParse(module).success) {
    problems.push({ ...src.at(moduleEntry.value), message: `"${module}" is not a module name` });
  }
  let become: string | null = null;
  const becomeEntry = entry(entries, 'become');
  if (becomeEntry && !(isScalar(becomeEntry.value) && becomeEntry.value.value === null) && becomeEntry.value !== null) {
    const user = scalarText(src, becomeEntry.value, 'become', problems);
    if (user !== undefined && !unixUserSchema.safeParse(user).success) problems.push({ ...src.at(becomeEntry.value), message: `become: "${user}" is not a Unix user name` });
    else if (user !== undefined) become = user;
  }
  const attributesEntry = entry(entries, 'attributes');
  const attributes = attributesEntry ? mapEntries(src, attributesEntry.value, 'attributes', problems) : [];
  const list = (key: string) => {
    const e = entry(entries, key);
    return { values: (e && stringList(src, e.value, key, problems)) ?? [], at: src.at(e?.value ?? e?.keyNode ?? node) };
  };
  const tags = list('tags');
  // A bad tag is reported here, once, and left out (not again for each host).
  const goodTags = tags.values.filter((tag) => {
    const good = groupNameSchema.safeParse(tag).success;
    if (!good) problems.push({ ...tags.at, message: `tags: "${tag}" is not a tag (letters, digits, dots, dashes, underscores, as group names)` });
    return good;
  });
  const whenChanged = list('when_changed');
  const notify = list('notify');
  if (name === undefined || module === undefined || attributes === undefined) return undefined;
  return {
    src,
    at,
    name,
    module,
    moduleAt: src.at(moduleEntry?.value),
    attributes,
    become,
    tags: [...new Set(goodTags)].sort(),
    whenChanged: whenChanged.values,
    whenChangedAt: whenChanged.at,
    notify: notify.values,
    notifyAt: notify.at,
  };
}

/** An attribute value as written: a scalar, or a list of scalars. */
export type RawAttribute = string | number | boolean | Array<string | number | boolean>;

/** The value of one attribute entry; a problem and undefined for maps, nulls, nested lists. */
export function rawAttribute(src: YamlSource, e: YamlEntry, problems: StateProblem[]): RawAttribute | undefined {
  const scalar = (node: Node | null): string | number | boolean | undefined => {
    if (isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number' || typeof node.value === 'boolean')) return node.value;
    problems.push({ ...src.at(node ?? e.keyNode), message: `attribute "${e.key}": must be a string, number, boolean or a list of them` });
    return undefined;
  };
  if (isSeq(e.value)) {
    const items = (e.value.items as Node[]).map(scalar);
    return items.every((i) => i !== undefined) ? (items as Array<string | number | boolean>) : undefined;
  }
  return scalar(e.value);
}
