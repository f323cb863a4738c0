import { ConfigError } from '@simplecm/config';
import { attributeValueSchema, type Attributes, type AttributeValue, type Operation } from '@simplecm/domain';
import { errorMessage } from '@simplecm/kernel';
import { InvalidOperationError, moduleNames, validateOperation, type AttributeSpec, type ModuleRegistry } from '@simplecm/modules';

/**
 * Splits `k=v k2='a b' k3="c \"d\""` into words as a shell would (single quotes literal, double
 * quotes with backslash escapes of `"` and `\`, a backslash outside quotes escapes the next
 * character), then each word at its first `=`.
 */
export function splitKeyValues(text: string): Array<[string, string]> {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
      continue;
    }
    word ??= '';
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new ConfigError(`-a: unterminated ' in ${JSON.stringify(text)}`);
      word += text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && (text[j + 1] === '"' || text[j + 1] === '\\')) j++;
        word += text[j];
      }
      if (j >= text.length) throw new ConfigError(`-a: unterminated " in ${JSON.stringify(text)}`);
      i = j;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
    } else {
      word += c;
    }
  }
  if (word !== undefined) words.push(word);
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new ConfigError(`-a: ${JSON.stringify(w)} is not name=value`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

/** A `k=v` value as the attribute's type takes it (`int` a number, `bool` true/false, `list` comma-separated); left as text when it does not read as that type, for the module's check to name. */
function typed(text: string, spec: AttributeSpec | undefined): AttributeValue {
  switch (spec?.type) {
    case 'int':
      return /^-?\d+$/.test(text) ? Number(text) : text;
    case 'bool':
      return ['true', 'yes', '1'].includes(text) ? true : ['false', 'no', '0'].includes(text) ? false : text;
    case 'list':
      return text === '' ? [] : text.split(',');
    default:
      return text;
  }
}

/**
 * The attributes of `-a`: a JSON object when the text starts with `{`, else `k=v` words typed
 * by the module's attribute specs, else (a module whose one required attribute is shell code,
 * `command`) the whole text as that attribute. A name given twice, a bad word or bad JSON is a
 * ConfigError.
 */
export function parseAdhocAttributes(text: string, specs: Readonly<Record<string, AttributeSpec>>): Attributes {
  if (text.trimStart().startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new ConfigError(`-a: not valid JSON: ${errorMessage(error)}`);
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new ConfigError('-a: JSON must be an object of attributes');
    const attributes: Attributes = {};
    for (const [name, value] of Object.entries(json)) {
      const parsed = attributeValueSchema.safeParse(value);
      if (!parsed.success) throw new ConfigError(`-a: attribute "${name}": must be a string, number, boolean or a list of them`);
      attributes[name] = parsed.data;
    }
    return attributes;
  }
  // Free form, as Ansible's `-m command -a 'uptime'`: a module whose only required attribute is
  // shell code takes the whole text as it, unless the text starts with one of its attributes.
  const required = Object.entries(specs).filter(([, spec]) => spec.required);
  const [freeForm] = required.length === 1 && required[0]![1].raw === true ? required[0]! : [];
  const first = /^\s*([a-z][a-z0-9_]*)=/.exec(text)?.[1];
  if (freeForm !== undefined && text.trim() !== '' && (first === undefined || !Object.hasOwn(specs, first))) return { [freeForm]: text.trim() };
  const attributes: Attributes = {};
  for (const [name, value] of splitKeyValues(text)) {
    if (Object.hasOwn(attributes, name)) throw new ConfigError(`-a: attribute "${name}" is given twice`);
    attributes[name] = typed(value, specs[name]);
  }
  return attributes;
}

export interface AdhocRequest {
  readonly module: string;
  /** `-a` as given (`k=v …` or JSON). */
  readonly args: string;
  /** `--become USER`, else the host's own. */
  readonly become: string | undefined;
}

/**
 * `simplecm exec`'s one operation, checked against its module before anything is connected: an
 * unknown module is a ConfigError naming `-m` and the known modules, a bad attribute one naming
 * the attribute (exit 2, nothing recorded).
 */
export function adhocOperation(registry: ModuleRegistry, request: AdhocRequest): Operation {
  const mod = registry.modules.get(request.module);
  if (mod === undefined) throw new ConfigError(`-m / --module: unknown module "${request.module}" (known: ${moduleNames(registry).join(', ') || 'none'})`);
  const operation: Operation = {
    seq: 0,
    name: `exec ${request.module}`,
    module: request.module,
    attributes: parseAdhocAttributes(request.args, mod.attributes),
    ...(request.become === undefined ? {} : { become: request.become }),
  };
  try {
    return { ...operation, attributes: validateOperation(registry, '(exec)', operation) };
  } catch (error) {
    if (error instanceof InvalidOperationError) throw new ConfigError(`-a / --args: attribute "${error.field}": ${error.problem}`);
    throw error;
  }
}
