import { parseArgs, type ParseArgsConfig } from 'node:util';
import { z } from 'zod';
import { errorMessage } from '@simplecm/kernel';
import { ConfigError, zodIssues } from './errors';

/**
 * Parses argv with node's parseArgs, then validates the values with a zod schema whose keys
 * are the flag names. Unknown flags and bad values are ConfigErrors naming the flag.
 */
export function parseCli<S extends z.ZodObject>(
  argv: readonly string[],
  options: NonNullable<ParseArgsConfig['options']>,
  schema: S,
  { positionals = false }: { positionals?: boolean } = {},
): { flags: z.infer<S>; positionals: string[] } {
  let raw: ReturnType<typeof parseArgs>;
  try {
    raw = parseArgs({ args: [...argv], options, strict: true, allowPositionals: positionals });
  } catch (error) {
    throw new ConfigError(errorMessage(error));
  }
  const parsed = schema.safeParse(raw.values);
  if (!parsed.success) throw new ConfigError(zodIssues(parsed.error, (p) => `--${String(p[0])}`));
  return { flags: parsed.data, positionals: raw.positionals };
}

/** A CLI integer flag given as a string: `--concurrency 50`. */
export function intFlag(min: number, max: number) {
  return z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
}
