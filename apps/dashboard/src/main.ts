import { ConfigError, connectionConfigFromEnv } from '@simplecm/config';
import { coerceError } from '@simplecm/kernel';
import { boundedClose, createLogger, logFormatFromEnv } from '@simplecm/telemetry';

const CLOSE_BOUND_MS = 10_000;
import { compileDashboardOptions, MIN_PASSWORD_LENGTH } from './dashboard-options';
import { hashPassword } from './password-hash';
import { startDashboard } from './start-dashboard';

/**
 * `simplecm dashboard hash-password`: reads a password on stdin (the first line), prints its
 * scrypt hash for the users file. Nothing is echoed or stored.
 */
async function hashPasswordMain(): Promise<void> {
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  const password = input.split(/\r?\n/)[0] ?? '';
  if (password.length < MIN_PASSWORD_LENGTH) throw new ConfigError(`too weak: use at least ${MIN_PASSWORD_LENGTH} characters`);
  process.stdout.write(`${await hashPassword(password)}\n`);
}

/** `npm run dashboard -- [--port N] [--host ADDR]`; exit 2 on bad configuration. */
async function main(): Promise<void> {
  if (process.argv[2] === 'hash-password') return hashPasswordMain();
  const config = compileDashboardOptions(process.argv.slice(2), process.env);
  const connections = connectionConfigFromEnv(process.env);
  const logger = createLogger({ app: 'dashboard', level: process.env.SIMPLECM_LOG_LEVEL, pretty: logFormatFromEnv(process.env) });
  const dashboard = await startDashboard(config, connections, { log: (line) => logger.info(line) });
  logger.info({ url: dashboard.url }, `dashboard: ${dashboard.url}`);
  if (!/^(127\.|::1$|localhost$)/.test(config.host) && !config.secureCookie) {
    logger.warn(`dashboard: listening on ${config.host} over plain HTTP: put it behind a TLS proxy and set SIMPLECM_DASHBOARD_SECURE_COOKIE=1`);
  }
  const stop = (signal: string) => {
    logger.info(`dashboard: ${signal}, closing`);
    // With Redis or Cassandra down closing the queues may never finish: give it CLOSE_BOUND_MS.
    boundedClose(dashboard.close(), CLOSE_BOUND_MS, () => logger.warn('dashboard: close did not finish in time; exiting')).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`dashboard: close failed: ${coerceError(error).message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(`dashboard: ${coerceError(error).message}`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
