import { ConfigError, connectionConfigFromEnv } from '@simplecm/config';
import { coerceError } from '@simplecm/kernel';
import { startHostWorker } from './host-worker';
import { compileWorkerOptions } from './worker-options';

async function main(): Promise<void> {
  const options = compileWorkerOptions(process.argv.slice(2), process.env);
  const { redis } = connectionConfigFromEnv(process.env);
  const worker = startHostWorker(redis, options);
  console.log(`worker ${options.name}: consuming host jobs (concurrency ${options.concurrency})`);
  const stop = (signal: string) => {
    console.log(`worker ${options.name}: ${signal}, finishing current hosts`);
    worker.close().then(
      () => process.exit(0),
      (error) => {
        console.error(`worker ${options.name}: close failed: ${coerceError(error).message}`);
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
