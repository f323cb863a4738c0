import type { Setting, SettingSpec } from './settings';

/** What a command's `--help` says besides its settings. */
export interface CommandAbout {
  /** `simplecm run [flags]`. */
  readonly usage: string;
  /** One or two sentences: what the command does. */
  readonly summary: string;
  /** Command lines a person may copy. */
  readonly examples: readonly string[];
  /** Environment variables read besides the settings' own (connection settings). */
  readonly env?: readonly string[];
}

/** The exit-code contract every command follows. */
export const CommandExit = {
  ok: 0,
  /** A host failed, was unreachable or rejected. */
  hostsFailed: 1,
  /** Bad input or an empty target: nothing was done. */
  badInput: 2,
  /** Redis or Cassandra unavailable. */
  unavailable: 3,
} as const;
export type CommandExit = (typeof CommandExit)[keyof typeof CommandExit];

/** The exit-code contract, as `--help` and the README state it. */
export const EXIT_CODES_HELP = [
  'exit codes:',
  '  0  ok',
  '  1  a host failed, was unreachable or rejected',
  '  2  bad input or an empty target (nothing done)',
  '  3  infrastructure unavailable (Redis or Cassandra)',
].join('\n');

/** The connection variables of a command that reads Cassandra only, or Redis and Cassandra. */
export const CASSANDRA_ENV = [
  'SIMPLECM_CASSANDRA_CONTACT_POINTS (default 127.0.0.1:9042)',
  'SIMPLECM_CASSANDRA_DC (default datacenter1)',
  'SIMPLECM_KEYSPACE (default simplecm)',
  'SIMPLECM_CASSANDRA_USERNAME, SIMPLECM_CASSANDRA_PASSWORD, SIMPLECM_CASSANDRA_CA',
] as const;
export const REDIS_ENV = ['SIMPLECM_REDIS_URL (default redis://127.0.0.1:6380)', 'SIMPLECM_REDIS_CA, SIMPLECM_REDIS_CLUSTER', 'SIMPLECM_QUEUE_PREFIX (default simplecm)', 'SIMPLECM_QUEUE_PARTITIONS (default 1)'] as const;

function shown(value: unknown): string {
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

/**
 * A command's help generated from its settings: each flag with its value, variable, default and
 * description, so the help says what the code reads and never drifts from it.
 */
export function formatCommandHelp<O>(about: CommandAbout, spec: SettingSpec<O>, defaults: Partial<Record<keyof O, unknown>>): string {
  const rows: Array<[string, string]> = [];
  const envOnly: Array<[string, string]> = [];
  for (const [key, setting] of Object.entries(spec) as Array<[keyof O & string, Setting<unknown>]>) {
    const value = setting.read === 'switch' ? '' : ` ${setting.valueName ?? key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
    const notes = [setting.about, defaults[key] === undefined ? undefined : `default ${shown(defaults[key])}`, setting.required ? 'required' : undefined].filter(Boolean);
    if (setting.flag !== undefined) {
      if (setting.env !== undefined) notes.push(`env ${setting.env}`);
      rows.push([`${setting.short === undefined ? '' : `-${setting.short}, `}--${setting.flag}${value}`, notes.join('; ')]);
    } else if (setting.env !== undefined) {
      envOnly.push([setting.env, notes.join('; ')]);
    }
  }
  rows.push(['-h, --help', 'this help']);
  const width = Math.max(...rows.map(([f]) => f.length), ...envOnly.map(([e]) => e.length));
  const table = (list: Array<[string, string]>) => list.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`.trimEnd()).join('\n');
  const sections = [`usage: ${about.usage}`, about.summary, `options:\n${table(rows)}`];
  const env = [...envOnly.map(([e, d]) => `  ${e.padEnd(width)}  ${d}`.trimEnd()), ...(about.env ?? []).map((e) => `  ${e}`)];
  if (env.length > 0) sections.push(`environment:\n${env.join('\n')}`);
  sections.push(`examples:\n${about.examples.map((e) => `  ${e}`).join('\n')}`, EXIT_CODES_HELP);
  return `${sections.join('\n\n')}\n`;
}
