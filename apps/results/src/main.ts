import { ConfigError, connectionConfigFromEnv } from '@simplecm/config';
import { connectCassandra, isStoreUnreachable } from '@simplecm/store';
import { errorMessage } from '@simplecm/kernel';
import { startResultsConsumer } from './results-consumer';
import { compileResultsOptions } from './results-options';
import { storeSession } from './store-session';

async function main(): Promise<void> {
  const options = compileResultsOptions(process.argv.slice(2), process.env);
  const config = connectionConfigFromEnv(process.env);
  const log = (line: string) => console.log(line);
  // Started while Cassandra is down (a restart during an outage): keep trying; results wait in Redis.
  let cassandra;
  for (let attempt = 1; ; attempt++) {
    try {
      cassandra = await connectCassandra(config.cassandra);
      break;
    } catch (error) {
      if (!isStoreUnreachable(error)) throw error;
      if (attempt === 1) log(`results consumer: Cassandra unreachable (${errorMessage(error).split('\n')[0]}); retrying`);
      await new Promise((r) => setTimeout(r, options.reconnectIntervalMs));
    }
  }
  const store = storeSession(cassandra, config.cassandra.keyspace, { connect: () => connectCassandra(config.cassandra), reconnectIntervalMs: options.reconnectIntervalMs, log });
  const consumer = startResultsConsumer(config.redis, store, options, { log });
  console.log(`results consumer: writing results to keyspace ${config.cassandra.keyspace}`);
  const stop = async (signal: string) => {
    console.log(`results consumer: ${signal}, flushing`);
    try {
      await consumer.close();
      console.log('results consumer: flushed, exiting');
      process.exit(0);
    } catch (error) {
      console.error(`results consumer: close failed: ${errorMessage(error)}`);
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error) => {
  console.error(`results consumer: ${errorMessage(error)}`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
