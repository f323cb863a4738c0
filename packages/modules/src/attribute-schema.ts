import type { AttributeValue } from '@simplecm/domain';
import { assertNever } from '@simplecm/kernel';
import { z } from 'zod';
import type { AttributeSpec } from './module-spec';

/** Attributes after validation: defaults applied, absent optional ones left out. */
export type ValidatedAttributes = Record<string, AttributeValue | undefined>;

// With the `u` flag, paired surrogates are one code point, so this only finds lone halves —
// which UTF-8 cannot carry, so such a value would not reach the host byte for byte.
const LONE_SURROGATE = /\p{Cs}/u;

/** A short, type-first description of a wrong value, for error messages. */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `a ${typeof value}`;
}

function expected(what: string): (issue: { input?: unknown }) => string {
  return (issue) => (issue.input === undefined ? 'is required' : `must be ${what}, got ${describeValue(issue.input)}`);
}

/** The rules every text value (string, path, list item) follows; the first broken one, if any. */
function textChecker(spec: AttributeSpec): (value: string) => string | undefined {
  const pattern = spec.pattern === undefined ? undefined : new RegExp(spec.pattern, 'u');
  return (value) => {
    if (value.includes('\0')) return 'must not contain a NUL byte';
    if (LONE_SURROGATE.test(value)) return 'must be valid Unicode text (it holds a lone surrogate)';
    if (spec.type === 'path') {
      if (!value.startsWith('/')) return 'must be an absolute path';
      if (/[\n\r]/.test(value)) return 'must not contain a line break';
    }
    if (pattern !== undefined && !pattern.test(value)) return spec.patternMessage ?? `must match ${spec.pattern}`;
    return undefined;
  };
}

/** The zod schema of one attribute's value, from its spec (defaults and optionality aside). */
export function attributeValueSchemaFor(spec: AttributeSpec): z.ZodType<AttributeValue> {
  switch (spec.type) {
    case 'string':
    case 'path': {
      const check = textChecker(spec);
      return z.string({ error: expected(spec.type === 'path' ? 'an absolute path' : 'a string') }).superRefine((value, ctx) => {
        const problem = check(value);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      });
    }
    case 'int': {
      const { min, max } = spec;
      return z.int({ error: expected('an integer') }).superRefine((value, ctx) => {
        if (min !== undefined && value < min) ctx.addIssue({ code: 'custom', message: `must be at least ${min}, got ${value}` });
        if (max !== undefined && value > max) ctx.addIssue({ code: 'custom', message: `must be at most ${max}, got ${value}` });
      });
    }
    case 'bool':
      return z.boolean({ error: expected('true or false') });
    case 'enum': {
      const values = spec.values ?? [];
      return z.enum(values as [string, ...string[]], { error: expected(`one of ${values.join(', ')}`) });
    }
    case 'list': {
      const check = textChecker(spec);
      return z.array(z.string({ error: expected('a string') }), { error: expected('a list of strings') }).superRefine((items, ctx) => {
        items.forEach((item, index) => {
          const problem = check(item);
          if (problem !== undefined) ctx.addIssue({ code: 'custom', path: [index], message: problem });
        });
      });
    }
    default:
      return assertNever(spec.type);
  }
}

/**
 * The schema of a module's whole attribute object: unknown attributes are refused, required
 * ones must be present, defaults fill in absent ones.
 */
export function attributesSchemaFor(attributes: Readonly<Record<string, AttributeSpec>>): z.ZodType<ValidatedAttributes> {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, spec] of Object.entries(attributes)) {
    const value = attributeValueSchemaFor(spec);
    if (spec.default !== undefined) shape[name] = value.default(spec.default as AttributeValue);
    else shape[name] = spec.required ? value : value.optional();
  }
  return z.strictObject(shape) as unknown as z.ZodType<ValidatedAttributes>;
}
