import { ConfigError, connectionConfigFromEnv } from '@simplecm/config';
import { coerceError } from '@simplecm/kernel';
import { queueDepths } from '@simplecm/queue';
import { createLogger, logFormatFromEnv, createProcessMetrics, outageReporter, redisService, setHeapGrowthPercent, startOpsServer, type OpsServer } from '@simplecm/telemetry';
import { startHostWorker } from './host-worker';
import { compileWorkerOptions } from './worker-options';

async function main(): Promise<void> {
  const options = compileWorkerOptions(process.argv.slice(2), process.env);
  setHeapGrowthPercent(options.heapGrowthPercent);
  const { redis } = connectionConfigFromEnv(process.env);
  const logger = createLogger({ app: 'worker', base: { worker: options.name }, level: process.env.SIMPLECM_LOG_LEVEL, pretty: logFormatFromEnv(process.env) });
  const metrics = createProcessMetrics({ worker: options.name });
  const redisOutage = outageReporter(redisService(redis), logger);
  const worker = startHostWorker(redis, options, (line) => logger.info(line), {
    metrics,
    redisOutage,
    hostFinished: (result) => logger.info({ runId: result.runId, host: result.hostname, status: result.status, cause: result.cause ?? undefined }, `host ${result.hostname} ${result.status}`),
  });
  let ops: OpsServer | undefined;
  // The host and result queues' depths (BullMQ's export) on /metrics too, as the dashboard shows them.
  const depths = queueDepths(redis);
  if (options.metricsPort !== undefined) {
    ops = await startOpsServer(
      { registry: metrics.registry, readiness: () => ({ redis: redisOutage.reachable() }), extraMetrics: () => depths.metrics() },
      { host: options.metricsHost, port: options.metricsPort },
    );
    logger.info({ metricsUrl: `${ops.url}/metrics` }, `metrics, /healthz and /readyz on ${ops.url}`);
  }
  logger.info({ concurrency: options.concurrency }, `worker ${options.name}: consuming host jobs (concurrency ${options.concurrency})`);
  const stop = (signal: string) => {
    logger.info(`worker ${options.name}: ${signal}, finishing current hosts`);
    depths.close();
    worker
      .close()
      .then(() => ops?.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error(`worker ${options.name}: close failed: ${coerceError(error).message}`);
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((error) => {
  console.error(`worker: ${coerceError(error).message}`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
