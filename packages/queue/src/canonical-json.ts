/**
 * Canonical JSON: the one byte string a value signs as. Object keys sorted (by UTF-16 code
 * unit, as `Array.prototype.sort`), no whitespace, properties whose value is `undefined`
 * omitted (as JSON.stringify does); arrays keep their order. Only what JSON can carry is
 * accepted: a non-finite number, a bigint, a function or a symbol throws, so two processes
 * can never disagree on how a value encodes.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON: ${value} is not a JSON number`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((item: unknown) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record)
        .filter((key) => record[key] !== undefined)
        .sort();
      return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON: a ${typeof value} cannot be encoded`);
  }
}
