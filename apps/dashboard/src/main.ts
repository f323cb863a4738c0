import { ConfigError, connectionConfigFromEnv } from '@simplecm/config';
import { coerceError } from '@simplecm/kernel';
import { compileDashboardOptions } from './dashboard-options';
import { startDashboard } from './start-dashboard';

/** `npm run dashboard -- [--port N] [--host ADDR]`; exit 2 on bad configuration. */
async function main(): Promise<void> {
  const config = compileDashboardOptions(process.argv.slice(2), process.env);
  const connections = connectionConfigFromEnv(process.env);
  const dashboard = await startDashboard(config, connections);
  console.log(`dashboard: ${dashboard.url}`);
  if (!/^(127\.|::1$|localhost$)/.test(config.host) && !config.secureCookie) {
    console.log(`dashboard: listening on ${config.host} over plain HTTP: put it behind a TLS proxy and set SIMPLECM_DASHBOARD_SECURE_COOKIE=1`);
  }
  const stop = (signal: string) => {
    console.log(`dashboard: ${signal}, closing`);
    dashboard.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`dashboard: close failed: ${coerceError(error).message}`);
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
