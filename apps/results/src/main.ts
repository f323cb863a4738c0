import { ConfigError, connectionConfigFromEnv } from '@simplecm/config';
import { connectCassandra, isStoreUnreachable } from '@simplecm/store';
import { errorMessage } from '@simplecm/kernel';
import { queueDepths } from '@simplecm/queue';
import { cassandraService, createLogger, logFormatFromEnv, createProcessMetrics, outageReporter, redisService, setHeapGrowthPercent, startOpsServer, type OpsServer } from '@simplecm/telemetry';
import { startResultsConsumer } from './results-consumer';
import { compileResultsOptions } from './results-options';
import { storeSession } from './store-session';

async function main(): Promise<void> {
  const options = compileResultsOptions(process.argv.slice(2), process.env);
  setHeapGrowthPercent(options.heapGrowthPercent);
  const config = connectionConfigFromEnv(process.env);
  const logger = createLogger({ app: 'results-consumer', level: process.env.SIMPLECM_LOG_LEVEL, pretty: logFormatFromEnv(process.env) });
  const log = (line: string) => logger.info(line);
  const metrics = createProcessMetrics();
  const redisOutage = outageReporter(redisService(config.redis), logger);
  const cassandraOutage = outageReporter(cassandraService(config.cassandra), logger);
  let ops: OpsServer | undefined;
  // The host and result queues' depths (BullMQ's export) on /metrics too, as the dashboard shows them.
  const depths = queueDepths(config.redis);
  if (options.metricsPort !== undefined) {
    const readiness = () => ({ redis: redisOutage.reachable(), cassandra: cassandraOutage.reachable() });
    ops = await startOpsServer({ registry: metrics.registry, readiness, extraMetrics: () => depths.metrics() }, { host: options.metricsHost, port: options.metricsPort });
    logger.info({ metricsUrl: `${ops.url}/metrics` }, `metrics, /healthz and /readyz on ${ops.url}`);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    stopping = true;
    logger.info(`results consumer: ${signal}, flushing`);
    depths.close();
    try {
      await consumer?.close();
      await ops?.close();
      logger.info('results consumer: flushed, exiting');
      process.exit(0);
    } catch (error) {
      logger.error(`results consumer: close failed: ${errorMessage(error)}`);
      process.exit(1);
    }
  };
  let consumer: ReturnType<typeof startResultsConsumer> | undefined;
  // Listening from the start, so SIGTERM also ends a consumer still waiting for Cassandra.
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  // Started while Cassandra is down (a restart during an outage): keep trying; results wait in Redis.
  let cassandra;
  for (;;) {
    try {
      cassandra = await connectCassandra(config.cassandra);
      cassandraOutage.up();
      break;
    } catch (error) {
      if (!isStoreUnreachable(error)) throw error;
      cassandraOutage.down(error);
      await new Promise((r) => setTimeout(r, options.reconnectIntervalMs));
      if (stopping) return;
    }
  }
  if (stopping) {
    await cassandra.shutdown().catch(() => undefined);
    return;
  }
  const store = storeSession(cassandra, config.cassandra.keyspace, {
    connect: () => connectCassandra(config.cassandra),
    reconnectIntervalMs: options.reconnectIntervalMs,
    log,
    outage: cassandraOutage,
  });
  consumer = startResultsConsumer(config.redis, store, options, { log, metrics, redisOutage, cassandraOutage });
  logger.info(`results consumer: writing results to keyspace ${config.cassandra.keyspace}`);
}

main().catch((error) => {
  console.error(`results consumer: ${errorMessage(error)}`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
