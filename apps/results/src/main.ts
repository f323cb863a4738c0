import { ConfigError, connectionConfigFromEnv } from '@simplecm/config';
import { connectCassandra } from '@simplecm/store';
import { startResultsConsumer } from './results-consumer';

async function main(): Promise<void> {
  const config = connectionConfigFromEnv(process.env);
  const cassandra = await connectCassandra(config.cassandra);
  const consumer = startResultsConsumer(config.redis, cassandra, config.cassandra.keyspace);
  console.log(`results consumer: writing results to keyspace ${config.cassandra.keyspace}`);
  const stop = async (signal: string) => {
    console.log(`results consumer: ${signal}, flushing`);
    try {
      await consumer.close();
      await cassandra.shutdown();
      process.exit(0);
    } catch (error) {
      console.error(`results consumer: close failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error) => {
  console.error(`results consumer: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
