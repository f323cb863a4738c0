import { z } from 'zod';
import { ConfigError, parseCli } from '@simplecm/config';
import type { ParseArgsConfig } from 'node:util';

/** Exit codes of every state command. */
export const ExitCode = {
  ok: 0,
  /** `diff`: something differs. */
  differs: 1,
  /** Bad input: flags, or a state directory with problems. */
  badInput: 2,
  /** Cassandra (or the disk) is not there. */
  infrastructure: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** One subcommand: its help text and what it does with its arguments. */
export interface Command {
  readonly summary: string;
  readonly help: string;
  run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<ExitCode>;
}

/** `--modules-dir`, shared by the commands that compile a state directory. */
export const modulesDirFlag = { 'modules-dir': { type: 'string' } } as const;

/**
 * Flags and exactly `count` positionals (`DIR`, `INVENTORY`), or a ConfigError naming what is
 * missing. `--help` is handled by main before this.
 */
export function parseCommand<S extends z.ZodObject>(
  argv: readonly string[],
  options: NonNullable<ParseArgsConfig['options']>,
  schema: S,
  positionalNames: readonly string[],
): { flags: z.infer<S>; args: string[] } {
  const { flags, positionals } = parseCli(argv, options, schema, { positionals: true });
  if (positionals.length !== positionalNames.length) {
    throw new ConfigError(`expected ${positionalNames.join(' ')} (got ${positionals.length === 0 ? 'nothing' : positionals.join(' ')})`);
  }
  return { flags, args: positionals };
}
