import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { CASSANDRA_ENV, formatCommandHelp, intSetting, readSettings, REDIS_ENV, resolveSettings, switchSetting, textSetting, type SettingSpec } from '@simplecm/config';

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
 * - `--trust-proxy` / SIMPLECM_DASHBOARD_TRUST_PROXY: express' `trust proxy`, for a dashboard behind
 *   a reverse proxy: the client address (which the login throttle keys on) is then taken from
 *   X-Forwarded-For. `false` (default: the peer address), `true`, a number of hops, or
 *   comma-separated addresses/subnets of the trusted proxies (`loopback`, `10.0.0.1`, …).
 * - `--login-max-failures` / SIMPLECM_DASHBOARD_LOGIN_MAX_FAILURES: failed logins (form or Basic)
 *   for one user from one address before that pair waits 15 minutes. Default 10.
 * - `--metrics-port` / SIMPLECM_DASHBOARD_METRICS_PORT: serve Prometheus /metrics (and /healthz,
 *   /readyz) on this port of `--metrics-host` (default 127.0.0.1). Default: none. /healthz and
 *   /readyz are also open (no login) on the dashboard's own port; /metrics is not served there.
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
  /** express' `trust proxy`: `false`, `true`, a hop count or trusted proxy addresses. @defaultValue `'false'` */
  trustProxy?: string;
  /** Failed logins per user and address before a 15-minute lock-out. @defaultValue `10` */
  loginMaxFailures?: number;
  /** Port of the separate /metrics server; 0 any free port. @defaultValue none: no metrics server */
  metricsPort?: number;
  /** @defaultValue `'127.0.0.1'` */
  metricsHost?: string;
  /** The modules, to know which attributes are `sensitive` (shown `***` in Bull Board). @defaultValue /etc/simple-cm/modules, else the repo's modules/ */
  modulesDir?: string;
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
  /** As express' `trust proxy` setting takes it. */
  readonly trustProxy: boolean | number | string;
  readonly loginMaxFailures: number;
  readonly metricsPort?: number;
  readonly metricsHost: string;
  readonly modulesDir?: string;
}

const bindHostSchema = z.string().regex(/^[A-Za-z0-9.:_-]{1,253}$/, 'must be an IP address or host name');

const dashboardSettings: SettingSpec<DashboardOptions> = {
  user: textSetting(
    { env: 'SIMPLECM_DASHBOARD_USER', required: true },
    z
      .string({ error: 'required: the login name for the dashboard' })
      .min(1, 'must not be empty')
      .max(200)
      .regex(/^[^:\s]+$/, 'no spaces or colons'),
  ),
  password: textSetting(
    { env: 'SIMPLECM_DASHBOARD_PASSWORD', required: true },
    z
      .string({ error: 'required: the dashboard does not start without a password' })
      .min(MIN_PASSWORD_LENGTH, `too weak: use at least ${MIN_PASSWORD_LENGTH} characters`)
      .max(1024)
      .refine((p) => new Set(p).size >= 4, 'too weak: too few different characters'),
  ),
  host: textSetting({ flag: 'host', env: 'SIMPLECM_DASHBOARD_HOST' }, bindHostSchema),
  port: intSetting({ flag: 'port', env: 'SIMPLECM_DASHBOARD_PORT' }, 0, 65_535),
  sessionSecret: textSetting({ env: 'SIMPLECM_DASHBOARD_SESSION_SECRET' }, z.string().min(32, 'at least 32 characters')),
  sessionHours: intSetting({ flag: 'session-hours', env: 'SIMPLECM_DASHBOARD_SESSION_HOURS' }, 1, 24 * 30),
  queueActions: switchSetting({ flag: 'queue-actions', env: 'SIMPLECM_DASHBOARD_QUEUE_ACTIONS' }),
  secureCookie: switchSetting({ flag: 'secure-cookie', env: 'SIMPLECM_DASHBOARD_SECURE_COOKIE' }),
  hostsPageSize: intSetting({}, 1, 1_000),
  runsPageSize: intSetting({}, 1, 500),
  trustProxy: textSetting(
    { flag: 'trust-proxy', env: 'SIMPLECM_DASHBOARD_TRUST_PROXY' },
    z.string().regex(/^(true|false|\d{1,2}|[A-Za-z0-9.:/_-]+(,[A-Za-z0-9.:/_-]+)*)$/, 'must be true, false, a number of hops, or comma-separated proxy addresses'),
  ),
  loginMaxFailures: intSetting({ flag: 'login-max-failures', env: 'SIMPLECM_DASHBOARD_LOGIN_MAX_FAILURES' }, 1, 1_000_000),
  metricsPort: intSetting({ flag: 'metrics-port', env: 'SIMPLECM_DASHBOARD_METRICS_PORT' }, 0, 65_535),
  metricsHost: textSetting({ flag: 'metrics-host', env: 'SIMPLECM_DASHBOARD_METRICS_HOST' }, bindHostSchema),
  modulesDir: textSetting({ flag: 'modules-dir', env: 'SIMPLECM_MODULES_DIR' }, z.string().min(1)),
};

/** `trust proxy` as express reads it: a boolean, a hop count, or the list of trusted addresses. */
function trustProxyValue(text: string): boolean | number | string {
  if (text === 'true' || text === 'false') return text === 'true';
  return /^\d+$/.test(text) ? Number(text) : text;
}

function dashboardDefaults() {
  return {
    host: '127.0.0.1',
    port: 3000,
    sessionSecret: randomBytes(32).toString('base64url'),
    sessionHours: 12,
    queueActions: false,
    secureCookie: false,
    hostsPageSize: 100,
    runsPageSize: 25,
    trustProxy: 'false',
    loginMaxFailures: 10,
    metricsHost: '127.0.0.1',
  } satisfies DashboardOptions;
}

/** Checks options that are already typed (from code, e.g. the demo or the bench) and fills in the defaults. */
export function resolveDashboardOptions(options: DashboardOptions): DashboardConfig {
  const { sessionHours, user, password, trustProxy, ...rest } = resolveSettings(dashboardSettings, dashboardDefaults(), options);
  // `required` settings were refused above when absent.
  return { ...rest, user: user as string, password: password as string, sessionTtlMs: sessionHours * 3_600_000, trustProxy: trustProxyValue(trustProxy) };
}

/** Defaults < environment < flags, resolved once per process. An empty variable is an unset one. */
export function compileDashboardOptions(argv: readonly string[], env: NodeJS.ProcessEnv): DashboardConfig {
  const help = () =>
    formatCommandHelp(
      {
        usage: `${env.SIMPLECM_COMMAND_NAME ?? 'simplecm dashboard'} [options]`,
        summary: 'Serves run history and the queues (Bull Board) over HTTP behind a login; runs until SIGTERM or SIGINT.',
        examples: ['SIMPLECM_DASHBOARD_PASSWORD=… simplecm dashboard --port 3000'],
        env: [...REDIS_ENV, ...CASSANDRA_ENV],
      },
      dashboardSettings,
      dashboardDefaults(),
    );
  return resolveDashboardOptions(readSettings(argv, env, dashboardSettings, help));
}
