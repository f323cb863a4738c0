import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { SourcePosition, StateProblem } from './problem';

/** A parsed YAML file of a state directory, able to say where each of its nodes is. */
export interface YamlSource {
  readonly file: string;
  readonly text: string;
  /** The document's root node; null for an empty file. */
  readonly root: Node | null;
  /** Position of a node (its first character), or of the file's start when there is none. */
  at(node: Node | null | undefined): SourcePosition;
  /** Position of a character offset in the file. */
  atOffset(offset: number): SourcePosition;
  /** The node an alias (`*name`) stands for; any other node itself. */
  deref(node: Node | null): Node | null;
}

/** A position → line/column converter for a text, as the yaml package counts them. */
export function textPositions(file: string, text: string): (offset: number) => SourcePosition {
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines.addNewLine(i + 1);
  return (offset) => {
    const { line, col } = lines.linePos(offset);
    return { file, line, column: col };
  };
}

/**
 * Parses one YAML file. Syntax errors (duplicate keys included) are added to `problems` and
 * give undefined: nothing of a malformed file is used.
 */
export function parseYamlSource(file: string, text: string, problems: StateProblem[]): YamlSource | undefined {
  const atOffset = textPositions(file, text);
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, strict: true });
  if (doc.errors.length > 0) {
    for (const error of doc.errors) problems.push({ ...atOffset(error.pos[0]), message: `malformed YAML: ${firstLine(error.message)}` });
    return undefined;
  }
  const root = (doc.contents as Node | null) ?? null;
  return {
    file,
    text,
    root,
    atOffset,
    at: (node) => atOffset(node?.range?.[0] ?? 0),
    deref: (node) => (isAlias(node) ? ((node.resolve(doc as Document) as Node | undefined) ?? null) : node),
  };
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

/** One `key: value` of a YAML map, with the key's node for positions. */
export interface YamlEntry {
  readonly key: string;
  readonly keyNode: Node;
  readonly value: Node | null;
}

/** The entries of a map node; a problem and undefined when the node is not a map (null: no entries). */
export function mapEntries(src: YamlSource, aliased: Node | null, what: string, problems: StateProblem[]): YamlEntry[] | undefined {
  const node = src.deref(aliased);
  if (node === null || (isScalar(node) && node.value === null)) return [];
  if (!isMap(node)) {
    problems.push({ ...src.at(node), message: `${what} must be a map` });
    return undefined;
  }
  const entries: YamlEntry[] = [];
  for (const pair of node.items) {
    const keyNode = pair.key as Node;
    if (!isScalar(keyNode) || typeof keyNode.value !== 'string') {
      problems.push({ ...src.at(keyNode), message: `${what}: keys must be strings` });
      continue;
    }
    entries.push({ key: keyNode.value, keyNode, value: src.deref((pair.value as Node | null) ?? null) });
  }
  return entries;
}

/** Checks that a map has only the given fields; each unknown one is a problem. */
export function checkFields(src: YamlSource, entries: readonly YamlEntry[], known: readonly string[], what: string, problems: StateProblem[]): void {
  for (const e of entries) {
    if (!known.includes(e.key)) problems.push({ ...src.at(e.keyNode), message: `${what}: unknown field "${e.key}" (expected: ${known.join(', ')})` });
  }
}

/** The items of a sequence node; a problem and undefined when it is not one (null: no items). */
export function seqItems(src: YamlSource, aliased: Node | null, what: string, problems: StateProblem[]): Node[] | undefined {
  const node = src.deref(aliased);
  if (node === null || (isScalar(node) && node.value === null)) return [];
  if (!isSeq(node)) {
    problems.push({ ...src.at(node), message: `${what} must be a list` });
    return undefined;
  }
  return (node.items as Node[]).map((item) => src.deref(item) ?? item);
}

/** A scalar's value as a string (numbers and booleans written as in YAML); a problem otherwise. */
export function scalarText(src: YamlSource, node: Node | null, what: string, problems: StateProblem[]): string | undefined {
  if (isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number' || typeof node.value === 'boolean')) {
    return typeof node.value === 'string' ? node.value : String(node.source ?? node.value);
  }
  problems.push({ ...src.at(node), message: `${what} must be a string` });
  return undefined;
}

/** A list of strings (a single string is a list of one). */
export function stringList(src: YamlSource, node: Node | null, what: string, problems: StateProblem[]): string[] | undefined {
  if (isScalar(node) && typeof node.value === 'string') return [node.value];
  const items = seqItems(src, node, what, problems);
  if (items === undefined) return undefined;
  const out: string[] = [];
  for (const item of items) {
    const text = scalarText(src, item, `${what} item`, problems);
    if (text !== undefined) out.push(text);
  }
  return out;
}

/** The entry named `key`, if any. */
export function entry(entries: readonly YamlEntry[], key: string): YamlEntry | undefined {
  return entries.find((e) => e.key === key);
}

/**
 * Where a character of a scalar's value is in the file, for a value that is written as is there
 * (plain or quoted without escapes before it): found by the text around `offset` (up to the end
 * of a `{{ … }}` reference), else the scalar's start.
 */
export function atInScalar(src: YamlSource, node: Node | null, value: string, offset: number): SourcePosition {
  const range = node?.range;
  if (range === undefined || range === null) return src.at(node);
  const token = /^\{\{[^}]*\}?\}?/.exec(value.slice(offset))?.[0] ?? value.slice(offset, offset + 1);
  let before = 0;
  for (let i = value.indexOf(token); i !== -1 && i < offset; i = value.indexOf(token, i + 1)) before++;
  const raw = src.text.slice(range[0], range[1]);
  let at = -1;
  for (let k = 0; k <= before; k++) {
    at = raw.indexOf(token, at + 1);
    if (at === -1) return src.at(node);
  }
  return src.atOffset(range[0] + at);
}
