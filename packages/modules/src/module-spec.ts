import { z } from 'zod';

/** The kinds of value a module attribute can take (`type` in module.json). */
export const AttributeType = {
  /** Any text without NUL; one shell word when interpolated. */
  string: 'string',
  /** An absolute path: starts with `/`, no NUL, no newline. */
  path: 'path',
  /** A safe integer, rendered as plain digits. */
  int: 'int',
  /** true or false, rendered as plain `true`/`false`. */
  bool: 'bool',
  /** One of `values`. */
  enum: 'enum',
  /** A list of strings; each item one shell word (`{{#each x}}{{this}}{{/each}}`). */
  list: 'list',
} as const;
export type AttributeType = (typeof AttributeType)[keyof typeof AttributeType];
export const attributeTypeSchema = z.enum(AttributeType);

/**
 * Helper names the templates may call. `if`/`unless`/`each`/`with` are Handlebars' own (with
 * `if`, `unless` and `with` redefined in ./template-env.ts); `eq` compares two values; `quote`
 * renders any text attribute, raw ones included, as one quoted shell word.
 */
export const TEMPLATE_HELPERS = ['if', 'unless', 'each', 'with', 'eq', 'quote'] as const;
export type TemplateHelper = (typeof TEMPLATE_HELPERS)[number];

/**
 * An attribute may share a helper's name (`command` has `unless`); templates then reach it as
 * `this.unless`, which Handlebars never takes for a helper call (check-template.ts says so).
 */
const attributeNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be an attribute name (lower case, digits, underscores)')
  // Names such as `constructor` would resolve through Object.prototype in template lookups.
  .refine((name) => !(name in Object.prototype) && !['this', 'true', 'false', 'null', 'undefined', 'else'].includes(name), 'is a reserved word');

function isValidRegExp(source: string): boolean {
  try {
    new RegExp(source, 'u');
    return true;
  } catch {
    return false;
  }
}

/** One attribute in module.json. */
export const attributeSpecSchema = z
  .strictObject({
    type: attributeTypeSchema,
    description: z.string().min(1, 'must describe the attribute'),
    required: z.boolean().default(false),
    /** Used when the operation omits the attribute; checked against the attribute's own rules at load. */
    default: z.unknown().optional(),
    /** The allowed values of an `enum`. */
    values: z.array(z.string().min(1)).min(1).optional(),
    /**
     * Shell code, interpolated unquoted with `{{{x}}}` (string attributes only). Whoever sets
     * the attribute can run anything on the host, which is the point of e.g. `command`.
     */
    raw: z.boolean().optional(),
    /**
     * A secret (a password, a key): the worker replaces every occurrence of the value with `***`
     * in the operation's stdout, stderr and change records before handing its result off.
     */
    sensitive: z.boolean().optional(),
    /** A regular expression (JavaScript, `u` flag) that string, path and list-item values must match. */
    pattern: z.string().refine(isValidRegExp, 'must be a valid regular expression').optional(),
    /** What a value failing `pattern` is told, e.g. `must be an octal mode such as 0644`. */
    patternMessage: z.string().min(1).optional(),
    /** Bounds of an `int`. */
    min: z.int().optional(),
    max: z.int().optional(),
  })
  .superRefine((spec, ctx) => {
    const problem = (path: string, message: string): void => {
      ctx.addIssue({ code: 'custom', path: [path], message });
    };
    if (spec.type === 'enum' && spec.values === undefined) problem('values', 'an enum attribute must list its values');
    if (spec.type !== 'enum' && spec.values !== undefined) problem('values', 'only enum attributes take values');
    if (spec.raw === true && spec.type !== 'string') problem('raw', 'only string attributes can be raw');
    if (spec.sensitive === true && !['string', 'path', 'list'].includes(spec.type)) problem('sensitive', 'only string, path and list attributes can be sensitive');
    if (spec.pattern !== undefined && !['string', 'path', 'list'].includes(spec.type)) problem('pattern', 'only string, path and list attributes take a pattern');
    if (spec.pattern !== undefined && spec.raw === true) problem('pattern', 'a raw attribute is shell code; a pattern would give a false sense of safety');
    if (spec.patternMessage !== undefined && spec.pattern === undefined) problem('patternMessage', 'needs a pattern');
    if ((spec.min !== undefined || spec.max !== undefined) && spec.type !== 'int') problem(spec.min !== undefined ? 'min' : 'max', 'only int attributes take bounds');
    if (spec.min !== undefined && spec.max !== undefined && spec.min > spec.max) problem('max', 'must not be below min');
    if (spec.required && spec.default !== undefined) problem('default', 'a required attribute cannot have a default');
  });
export type AttributeSpec = z.output<typeof attributeSpecSchema>;

/** The whole of a module.json file. */
export const moduleSpecSchema = z.strictObject({
  description: z.string().min(1, 'must describe the module'),
  attributes: z.record(attributeNameSchema, attributeSpecSchema),
});
export type ModuleSpec = z.output<typeof moduleSpecSchema>;
