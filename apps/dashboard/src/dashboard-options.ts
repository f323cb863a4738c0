import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ConfigError, intFlag, parseCli, zodIssues } from '@simplecm/config';

/** Shorter passwords are refused: the dashboard shows every host's output. */
export const MIN_PASSWORD_LENGTH = 12;

/**
 * Dashboard settings, each from a flag, else an environment variable, else the default:
 * - SIMPLECM_DASHBOARD_USER: the one login name. Required, no default.
 * - SIMPLECM_DASHBOARD_PASSWORD: its password. Required, at least 12 characters, no default.
 * - `--host` / SIMPLECM_DASHBOARD_HOST: address to bind, default `127.0.0.1` (this machine only).
 * - `--port` / SIMPLECM_DASHBOARD_PORT: default 3000; 0 picks a free port (tests).
 * - SIMPLECM_DASHBOARD_SESSION_SECRET: key that signs session cookies, at least 32 characters.
 *   Default: random per process, so a restart logs everyone out.
 * - `--session-hours` / SIMPLECM_DASHBOARD_SESSION_HOURS: how long a login lasts, default 12.
 * - `--queue-actions` / SIMPLECM_DASHBOARD_QUEUE_ACTIONS=1: let Bull Board retry, remove, pause…
 *   Default off: Bull Board is read-only.
 * - `--secure-cookie` / SIMPLECM_DASHBOARD_SECURE_COOKIE=1: mark the session cookie Secure, for a
 *   dashboard served over HTTPS by a proxy. Default off (plain HTTP on 127.0.0.1).
 */
export interface DashboardOptions {
  /** Login name; required. */
  user?: string;
  /** Password; required, at least {@link MIN_PASSWORD_LENGTH} characters. */
  password?: string;
  /** @defaultValue `'127.0.0.1'` */
  host?: string;
  /** @defaultValue `3000` */
  port?: number;
  /** @defaultValue random 32 bytes per process */
  sessionSecret?: string;
  /** @defaultValue `12` */
  sessionHours?: number;
  /** @defaultValue `false` (Bull Board read-only) */
  queueActions?: boolean;
  /** @defaultValue `false` */
  secureCookie?: boolean;
  /** Hosts per page on a run's page. @defaultValue `100` */
  hostsPageSize?: number;
  /** Runs per page on the runs page. @defaultValue `25` */
  runsPageSize?: number;
}

/** Every setting resolved and checked; the only form that travels. */
export interface DashboardConfig {
  readonly user: string;
  readonly password: string;
  readonly host: string;
  readonly port: number;
  readonly sessionSecret: string;
  readonly sessionTtlMs: number;
  readonly queueActions: boolean;
  readonly secureCookie: boolean;
  readonly hostsPageSize: number;
  readonly runsPageSize: number;
}

const bindHostSchema = z.string().regex(/^[A-Za-z0-9.:_-]{1,253}$/, 'must be an IP address or host name');
const onOff = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');

const optionsSchema = z.object({
  user: z
    .string({ error: 'required: the login name for the dashboard' })
    .min(1, 'must not be empty')
    .max(200)
    .regex(/^[^:\s]+$/, 'no spaces or colons'),
  password: z
    .string({ error: 'required: the dashboard does not start without a password' })
    .min(MIN_PASSWORD_LENGTH, `too weak: use at least ${MIN_PASSWORD_LENGTH} characters`)
    .max(1024)
    .refine((p) => new Set(p).size >= 4, 'too weak: too few different characters'),
  host: bindHostSchema,
  port: z.number().int().min(0).max(65_535),
  sessionSecret: z.string().min(32, 'at least 32 characters'),
  sessionHours: z.number().int().min(1).max(24 * 30),
  queueActions: z.boolean(),
  secureCookie: z.boolean(),
  hostsPageSize: z.number().int().min(1).max(1_000),
  runsPageSize: z.number().int().min(1).max(500),
});

/** Where each option comes from, for error messages. */
const optionLabels: Record<string, string> = {
  user: 'SIMPLECM_DASHBOARD_USER',
  password: 'SIMPLECM_DASHBOARD_PASSWORD',
  host: '--host / SIMPLECM_DASHBOARD_HOST',
  port: '--port / SIMPLECM_DASHBOARD_PORT',
  sessionSecret: 'SIMPLECM_DASHBOARD_SESSION_SECRET',
  sessionHours: '--session-hours / SIMPLECM_DASHBOARD_SESSION_HOURS',
};

/** Checks options that are already typed (from code, e.g. the demo or the bench). */
export function resolveDashboardOptions(options: DashboardOptions): DashboardConfig {
  const parsed = optionsSchema.safeParse({
    host: '127.0.0.1',
    port: 3000,
    sessionSecret: randomBytes(32).toString('base64url'),
    sessionHours: 12,
    queueActions: false,
    secureCookie: false,
    hostsPageSize: 100,
    runsPageSize: 25,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  });
  if (!parsed.success) throw new ConfigError(zodIssues(parsed.error, (p) => optionLabels[String(p[0])] ?? String(p[0])));
  const o = parsed.data;
  return {
    user: o.user,
    password: o.password,
    host: o.host,
    port: o.port,
    sessionSecret: o.sessionSecret,
    sessionTtlMs: o.sessionHours * 3_600_000,
    queueActions: o.queueActions,
    secureCookie: o.secureCookie,
    hostsPageSize: o.hostsPageSize,
    runsPageSize: o.runsPageSize,
  };
}

const flagSpec = {
  host: { type: 'string' },
  port: { type: 'string' },
  'session-hours': { type: 'string' },
  'queue-actions': { type: 'boolean' },
  'secure-cookie': { type: 'boolean' },
} as const;

const flagsSchema = z.object({
  host: bindHostSchema.optional(),
  port: intFlag(0, 65_535).optional(),
  'session-hours': intFlag(1, 24 * 30).optional(),
  'queue-actions': z.boolean().optional(),
  'secure-cookie': z.boolean().optional(),
});

const envSchema = z.object({
  SIMPLECM_DASHBOARD_USER: z.string().optional(),
  SIMPLECM_DASHBOARD_PASSWORD: z.string().optional(),
  SIMPLECM_DASHBOARD_HOST: bindHostSchema.optional(),
  SIMPLECM_DASHBOARD_PORT: intFlag(0, 65_535).optional(),
  SIMPLECM_DASHBOARD_SESSION_SECRET: z.string().optional(),
  SIMPLECM_DASHBOARD_SESSION_HOURS: intFlag(1, 24 * 30).optional(),
  SIMPLECM_DASHBOARD_QUEUE_ACTIONS: onOff.optional(),
  SIMPLECM_DASHBOARD_SECURE_COOKIE: onOff.optional(),
});

/** Defaults < environment < flags, resolved once per process. */
export function compileDashboardOptions(argv: readonly string[], env: NodeJS.ProcessEnv): DashboardConfig {
  const { flags } = parseCli(argv, flagSpec, flagsSchema);
  const parsedEnv = envSchema.safeParse(env);
  if (!parsedEnv.success) throw new ConfigError(`invalid environment:\n${zodIssues(parsedEnv.error, (p) => String(p[0]))}`);
  const e = parsedEnv.data;
  return resolveDashboardOptions({
    // An empty variable is an unset one: `SIMPLECM_DASHBOARD_PASSWORD= npm run dashboard` is refused as missing.
    user: e.SIMPLECM_DASHBOARD_USER || undefined,
    password: e.SIMPLECM_DASHBOARD_PASSWORD || undefined,
    host: flags.host ?? e.SIMPLECM_DASHBOARD_HOST,
    port: flags.port ?? e.SIMPLECM_DASHBOARD_PORT,
    sessionSecret: e.SIMPLECM_DASHBOARD_SESSION_SECRET || undefined,
    sessionHours: flags['session-hours'] ?? e.SIMPLECM_DASHBOARD_SESSION_HOURS,
    queueActions: flags['queue-actions'] ?? e.SIMPLECM_DASHBOARD_QUEUE_ACTIONS,
    secureCookie: flags['secure-cookie'] ?? e.SIMPLECM_DASHBOARD_SECURE_COOKIE,
  });
}
