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
    throw new ConfigError(withSuggestion(errorMessage(error), Object.keys(options)));
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

/** Edits (insert, delete, replace) from `a` to `b`. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/** The known flag nearest to `given` (at most a third of its letters different), if any. */
export function nearestFlag(given: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(given, name);
    if (distance <= Math.max(1, Math.floor(given.length / 3)) && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** node's "Unknown option '--lmit'" message, with `(did you mean --limit?)` when a flag is near and `--help` for the list. */
function withSuggestion(message: string, known: readonly string[]): string {
  const unknown = /Unknown option '--?([^']+)'/.exec(message);
  if (unknown === null) return message;
  const near = nearestFlag(unknown[1] ?? '', known);
  return `unknown option '--${unknown[1]}'${near === undefined ? '' : ` (did you mean --${near}?)`}; --help lists the options`;
}

/** Whether argv asks for help (`--help` or `-h` anywhere). */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}
