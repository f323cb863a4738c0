import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ConfigError, CASSANDRA_ENV, formatCommandHelp, intSetting, readSettings, REDIS_ENV, resolveSettings, switchSetting, textSetting, type SettingSpec } from '@simplecm/config';
import { readUsersFile, Role, userNameSchema, type DashboardUser } from './users';

/** Shorter passwords are refused: the dashboard shows every host's output. */
export const MIN_PASSWORD_LENGTH = 12;

/**
 * Dashboard settings, each from a flag, else an environment variable, else the default:
 * - `--users-file` / SIMPLECM_DASHBOARD_USERS_FILE: the users (YAML or JSON: name, role `viewer` or
 *   `operator`, scrypt `passwordHash` from `simplecm dashboard hash-password`). Default: none, then
 * - SIMPLECM_DASHBOARD_USER and SIMPLECM_DASHBOARD_PASSWORD (at least 12 characters): one user, an
 *   operator (the single shared login of earlier releases). One of the two is required.
 * - `--base-path` / SIMPLECM_DASHBOARD_BASE_PATH: the path the dashboard is served under behind a
 *   proxy (`/simplecm`): every link, asset, redirect and cookie carries it. Default: none (`/`).
 * - `--host` / SIMPLECM_DASHBOARD_HOST: address to bind, default `127.0.0.1` (this machine only).
 * - `--port` / SIMPLECM_DASHBOARD_PORT: default 3000; 0 picks a free port (tests).
 * - SIMPLECM_DASHBOARD_SESSION_SECRET: key that signs session cookies, at least 32 characters.
 *   Default: random per process, so a restart logs everyone out.
 * - `--session-hours` / SIMPLECM_DASHBOARD_SESSION_HOURS: how long a login lasts, default 12.
 * - `--queue-actions` / SIMPLECM_DASHBOARD_QUEUE_ACTIONS=1: let Bull Board retry, remove, pause…
 *   Default off: Bull Board is read-only.
 * - `--run-control` / SIMPLECM_DASHBOARD_RUN_CONTROL=1: operators may launch, relaunch and cancel
 *   runs; a resident master (`simplecm master`) plans them. Its Redis user then needs
 *   redisAclRules('dashboard', prefix, { runControl: true }). Default off: those controls hidden.
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
  /** The users file (YAML or JSON). @defaultValue none: the single `user`/`password` login */
  usersFile?: string;
  /** Login name of the single-user fallback (an operator); with `password`, when there is no users file. */
  user?: string;
  /** Password of the single-user fallback, at least {@link MIN_PASSWORD_LENGTH} characters. */
  password?: string;
  /** Path prefix behind a proxy, like `/simplecm`. @defaultValue `''` (served at `/`) */
  basePath?: string;
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
  /**
   * Launch, relaunch and cancel runs through the resident master (`simplecm master`): run
   * requests on the run-requests queue, `simplecm cancel`'s cancel. @defaultValue `false` (those
   * controls hidden, 503)
   */
  runControl?: boolean;
  /**
   * `--launch-take-timeout` / SIMPLECM_DASHBOARD_LAUNCH_TAKE_TIMEOUT_MS: how long a launch or
   * relaunch waits for a master to take its run request; past it the request is withdrawn and
   * the page says so (503), nothing launched. @defaultValue `15000`
   */
  launchTakeTimeoutMs?: number;
  /**
   * `--launch-answer-timeout` / SIMPLECM_DASHBOARD_LAUNCH_ANSWER_TIMEOUT_MS: how long it waits
   * for the answer of a master that took it; past it the page says the request stays queued and
   * may still launch (503). @defaultValue `300000`
   */
  launchAnswerTimeoutMs?: number;
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
  /** Who may log in, from the users file or the single-user fallback. */
  readonly users: readonly DashboardUser[];
  /** `''` or a path like `/simplecm` (no trailing slash). */
  readonly basePath: string;
  readonly host: string;
  readonly port: number;
  readonly sessionSecret: string;
  readonly sessionTtlMs: number;
  readonly queueActions: boolean;
  readonly runControl: boolean;
  readonly launchTakeTimeoutMs: number;
  readonly launchAnswerTimeoutMs: number;
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
  usersFile: textSetting({ flag: 'users-file', env: 'SIMPLECM_DASHBOARD_USERS_FILE' }, z.string().min(1).max(4096)),
  user: textSetting({ env: 'SIMPLECM_DASHBOARD_USER' }, userNameSchema),
  basePath: textSetting(
    { flag: 'base-path', env: 'SIMPLECM_DASHBOARD_BASE_PATH' },
    z.string().regex(/^(\/[A-Za-z0-9._~-]+)*\/?$/, 'a path like /simplecm (letters, digits, . _ ~ -)'),
  ),
  password: textSetting(
    { env: 'SIMPLECM_DASHBOARD_PASSWORD' },
    z
      .string()
      .min(MIN_PASSWORD_LENGTH, `too weak: use at least ${MIN_PASSWORD_LENGTH} characters`)
      .max(1024)
      .refine((p) => new Set(p).size >= 4, 'too weak: too few different characters'),
  ),
  host: textSetting({ flag: 'host', env: 'SIMPLECM_DASHBOARD_HOST' }, bindHostSchema),
  port: intSetting({ flag: 'port', env: 'SIMPLECM_DASHBOARD_PORT' }, 0, 65_535),
  sessionSecret: textSetting({ env: 'SIMPLECM_DASHBOARD_SESSION_SECRET' }, z.string().min(32, 'at least 32 characters')),
  sessionHours: intSetting({ flag: 'session-hours', env: 'SIMPLECM_DASHBOARD_SESSION_HOURS' }, 1, 24 * 30),
  queueActions: switchSetting({ flag: 'queue-actions', env: 'SIMPLECM_DASHBOARD_QUEUE_ACTIONS' }),
  runControl: switchSetting({ flag: 'run-control', env: 'SIMPLECM_DASHBOARD_RUN_CONTROL' }),
  launchTakeTimeoutMs: intSetting({ flag: 'launch-take-timeout', env: 'SIMPLECM_DASHBOARD_LAUNCH_TAKE_TIMEOUT_MS' }, 100, 3_600_000),
  launchAnswerTimeoutMs: intSetting({ flag: 'launch-answer-timeout', env: 'SIMPLECM_DASHBOARD_LAUNCH_ANSWER_TIMEOUT_MS' }, 100, 86_400_000),
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
    runControl: false,
    launchTakeTimeoutMs: 15_000,
    launchAnswerTimeoutMs: 300_000,
    secureCookie: false,
    hostsPageSize: 100,
    runsPageSize: 25,
    trustProxy: 'false',
    basePath: '',
    loginMaxFailures: 10,
    metricsHost: '127.0.0.1',
  } satisfies DashboardOptions;
}

/** Checks options that are already typed (from code, e.g. the demo or the bench) and fills in the defaults. */
export function resolveDashboardOptions(options: DashboardOptions): DashboardConfig {
  const { sessionHours, user, password, usersFile, trustProxy, basePath, ...rest } = resolveSettings(dashboardSettings, dashboardDefaults(), options);
  let users: DashboardUser[];
  if (usersFile !== undefined) {
    if (user !== undefined || password !== undefined) throw new ConfigError('SIMPLECM_DASHBOARD_USER/PASSWORD and a users file: use one or the other');
    users = readUsersFile(usersFile);
  } else if (user !== undefined && password !== undefined) {
    users = [{ name: user, role: Role.operator, credential: { kind: 'password', password } }];
  } else {
    const missing = user === undefined && password !== undefined ? 'SIMPLECM_DASHBOARD_USER' : 'SIMPLECM_DASHBOARD_PASSWORD';
    throw new ConfigError(
      user === undefined && password === undefined
        ? 'required: a users file (--users-file / SIMPLECM_DASHBOARD_USERS_FILE), or SIMPLECM_DASHBOARD_USER and SIMPLECM_DASHBOARD_PASSWORD'
        : `${missing}: required (or a users file: --users-file / SIMPLECM_DASHBOARD_USERS_FILE)`,
    );
  }
  if (rest.launchAnswerTimeoutMs < rest.launchTakeTimeoutMs) throw new ConfigError('--launch-answer-timeout: at least --launch-take-timeout (it counts from the same start)');
  return {
    ...rest,
    users,
    basePath: basePath.replace(/\/$/, ''),
    sessionTtlMs: sessionHours * 3_600_000,
    trustProxy: trustProxyValue(trustProxy),
  };
}

/** Defaults < environment < flags, resolved once per process. An empty variable is an unset one. */
export function compileDashboardOptions(argv: readonly string[], env: NodeJS.ProcessEnv): DashboardConfig {
  const help = () =>
    formatCommandHelp(
      {
        usage: `${env.SIMPLECM_COMMAND_NAME ?? 'simplecm dashboard'} [options]`,
        summary: 'Serves run history and the queues (Bull Board) over HTTP behind a login; runs until SIGTERM or SIGINT.',
        examples: ['simplecm dashboard --users-file /etc/simplecm/users.yaml --port 3000', 'SIMPLECM_DASHBOARD_USER=ops SIMPLECM_DASHBOARD_PASSWORD=… simplecm dashboard', 'simplecm dashboard hash-password   # reads a password on stdin, prints its hash'],
        env: [...REDIS_ENV, ...CASSANDRA_ENV],
      },
      dashboardSettings,
      dashboardDefaults(),
    );
  return resolveDashboardOptions(readSettings(argv, env, dashboardSettings, help));
}
