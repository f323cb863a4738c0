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
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON: ${value} is not a JSON number`);
      return JSON.stringify(value);
    case 'object': {
      // Plain loops and string appends: every host job is encoded once by the master and once
      // by its worker, and every result twice, so this is on the hot path (bench/job-signing-cost.ts).
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          out += `${i > 0 ? ',' : ''}${item === undefined ? 'null' : canonicalJson(item)}`;
        }
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      let out = '{';
      for (const key of Object.keys(record).sort()) {
        const item = record[key];
        if (item === undefined) continue;
        out += `${out.length > 1 ? ',' : ''}${JSON.stringify(key)}:${canonicalJson(item)}`;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`canonical JSON: a ${typeof value} cannot be encoded`);
  }
}
