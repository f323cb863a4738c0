import fs from 'node:fs';
import { z } from 'zod';
import { intFlag, parseCli, wantsHelp } from './cli';
import { ConfigError, zodIssues } from './errors';

/**
 * One process setting: where it may come from (a CLI flag, an environment variable, both, or
 * neither when only code sets it) and what its value must be. Options files describe their
 * settings with these, and `readSettings` + `resolveSettings` do the rest:
 * defaults < environment < flags, each checked, errors naming the flag or variable.
 */
export interface Setting<T> {
  /** The CLI flag without its dashes (`concurrency` for `--concurrency`). */
  readonly flag?: string;
  /** A one-letter alias of the flag (`m` for `-m`). */
  readonly short?: string;
  /** The environment variable (`SIMPLECM_WORKER_CONCURRENCY`). An empty variable is an unset one. */
  readonly env?: string;
  /** The value from a flag's or variable's text; `switch`: a flag without a value, `1`/`0`/`true`/`false` in the environment. */
  readonly read: z.ZodType<T, string> | 'switch';
  /** What the value must be however it was given, code included. */
  readonly check: z.ZodType<T>;
  /** Refused when absent after defaults (the check's message says why). */
  readonly required?: boolean;
  /** What the setting does, for `--help`. */
  readonly about?: string;
  /** The value's placeholder in `--help` (`N`, `PATTERN`); default the field's name in capitals. */
  readonly valueName?: string;
}

/** Where a setting comes from. */
export type SettingSources = Pick<Setting<unknown>, 'flag' | 'short' | 'env' | 'required' | 'about' | 'valueName'>;

/** The settings of one options type `O`, one per field. */
export type SettingSpec<O> = { readonly [K in keyof O]-?: Setting<NonNullable<O[K]>> };

/** A whole number in [min, max]: `--concurrency 50`. */
export function intSetting(sources: SettingSources, min: number, max: number): Setting<number> {
  return { ...sources, read: intFlag(min, max), check: z.number().int().min(min).max(max) };
}

/** Text that `schema` accepts as it is. */
export function textSetting(sources: SettingSources, schema: z.ZodType<string, string>): Setting<string> {
  return { ...sources, read: schema, check: schema };
}

/** On or off: a flag without value, or `1`/`0`/`true`/`false` in the environment. */
export function switchSetting(sources: SettingSources): Setting<boolean> {
  return { ...sources, read: 'switch', check: z.boolean() };
}

/** A comma-separated list (`--hosts h1,h2`), blanks dropped, each item checked by `item`. */
export function listSetting(sources: SettingSources, item: z.ZodType<string, string>, atLeastOne: string): Setting<string[]> {
  const list = z.array(item).min(1, atLeastOne);
  return {
    ...sources,
    read: z
      .string()
      .transform((s) => s.split(',').map((part) => part.trim()).filter(Boolean))
      .pipe(list),
    check: list,
  };
}

/** A comma-separated list of whole numbers in [min, max] (`--partitions 0,2`), blanks dropped. */
export function intListSetting(sources: SettingSources, min: number, max: number): Setting<number[]> {
  const list = z.array(z.number().int().min(min).max(max)).min(1, 'at least one number');
  return {
    ...sources,
    read: z
      .string()
      .transform((s) => s.split(',').map((part) => part.trim()).filter(Boolean).map(Number))
      .pipe(list),
    check: list,
  };
}

const onOff = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');

/** `--flag / ENV`, as errors name a setting. */
function labelOf(key: string, setting: Setting<unknown>): string {
  return [setting.flag === undefined ? undefined : `--${setting.flag}`, setting.env].filter(Boolean).join(' / ') || key;
}

function entries<O>(spec: SettingSpec<O>): Array<[string, Setting<unknown>]> {
  return Object.entries(spec) as Array<[string, Setting<unknown>]>;
}

/**
 * The settings given on the command line and in the environment, a flag over its variable;
 * absent ones are left out. Unknown flags, and bad values, are ConfigErrors naming the flag or
 * the variable. With `help`, `--help` or `-h` prints it and exits 0 (the process's own help).
 */
export function readSettings<O>(argv: readonly string[], env: NodeJS.ProcessEnv, spec: SettingSpec<O>, help?: () => string): O {
  if (help !== undefined && wantsHelp(argv)) {
    fs.writeSync(1, help());
    process.exit(0);
  }
  const flagTypes: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  const flagSchemas: Record<string, z.ZodType> = {};
  const envSchemas: Record<string, z.ZodType> = {};
  for (const [, setting] of entries(spec)) {
    const read = setting.read === 'switch' ? undefined : setting.read;
    if (setting.flag !== undefined) {
      flagTypes[setting.flag] = { type: read ? 'string' : 'boolean', ...(setting.short === undefined ? {} : { short: setting.short }) };
      flagSchemas[setting.flag] = (read ?? z.boolean()).optional();
    }
    if (setting.env !== undefined) envSchemas[setting.env] = (read ?? onOff).optional();
  }
  const { flags } = parseCli(argv, flagTypes, z.object(flagSchemas));
  const givenEnv = Object.fromEntries(Object.keys(envSchemas).map((name) => [name, env[name] === '' ? undefined : env[name]]));
  const parsedEnv = z.object(envSchemas).safeParse(givenEnv);
  if (!parsedEnv.success) throw new ConfigError(`invalid environment:\n${zodIssues(parsedEnv.error, (p) => String(p[0]))}`);
  const values: Record<string, unknown> = {};
  for (const [key, setting] of entries(spec)) {
    const value = (setting.flag === undefined ? undefined : flags[setting.flag]) ?? (setting.env === undefined ? undefined : parsedEnv.data[setting.env]);
    if (value !== undefined) values[key] = value;
  }
  return values as O;
}

/** The options with every default filled in: a field with a default is never undefined. */
export type Resolved<O, D> = { readonly [K in keyof O]-?: K extends keyof D ? NonNullable<O[K]> : O[K] };

/**
 * Defaults < `options` (an undefined field takes its default), each value checked against its
 * setting; a ConfigError names every bad one by its flag or variable.
 */
export function resolveSettings<O, D extends Partial<Record<keyof O, unknown>>>(spec: SettingSpec<O>, defaults: D, options: O): Resolved<O, D> {
  const given = Object.fromEntries(Object.entries(options as Record<string, unknown>).filter(([, v]) => v !== undefined));
  const checks = Object.fromEntries(entries(spec).map(([key, setting]) => [key, setting.required ? setting.check : setting.check.optional()]));
  const parsed = z.object(checks).safeParse({ ...defaults, ...given });
  if (!parsed.success) throw new ConfigError(zodIssues(parsed.error, (p) => labelOf(String(p[0]), spec[p[0] as keyof O])));
  return parsed.data as Resolved<O, D>;
}
