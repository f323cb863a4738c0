import { readHostJobSigner } from './host-job-signer';
import { CommandExit, ConfigError, connectionConfigFromEnv, wantsHelp } from '@simplecm/config';
import { closeAll, coerceError, errorMessage, type Releaser } from '@simplecm/kernel';
import { loadModules, resolveModulesDir } from '@simplecm/modules';
import { beatMaster, HOSTS_QUEUE, leaveMasters, partitionQueues, probeRedis, queuePartitionPrefixes, redisConnection, type HostJobWire } from '@simplecm/queue';
import { connectCassandraWithin } from '@simplecm/store';
import { createLogger, logFormatFromEnv } from '@simplecm/telemetry';
import { compileMasterOptions, masterHelp } from './master-options';
import { startRunRequestWorker } from './run-request-worker';
import { createRunPlanner } from './run-planner';

/**
 * `simplecm master`: the resident master. Opens Redis and Cassandra once, loads the modules and
 * the signing key once, then plans every run request it takes with them (no process start,
 * connection or statement preparation per run). Announces itself with a heartbeat so that
 * `simplecm run` submits to it; SIGTERM/SIGINT let the requests being planned finish.
 */
async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (wantsHelp(argv)) {
    process.stdout.write(masterHelp(process.env.SIMPLECM_COMMAND_NAME === undefined ? undefined : `${process.env.SIMPLECM_COMMAND_NAME} [options]`));
    process.exit(0);
  }
  const options = compileMasterOptions(argv, process.env);
  const config = connectionConfigFromEnv(process.env);
  const logger = createLogger({ app: 'master', base: { master: options.name }, level: process.env.SIMPLECM_LOG_LEVEL, pretty: logFormatFromEnv(process.env) });
  const modules = loadModules(resolveModulesDir(options.modulesDir));
  const signer = readHostJobSigner(modules, options);
  await probeRedis(config.redis, options.connectTimeoutMs);
  const cassandra = await connectCassandraWithin(config.cassandra, options.connectTimeoutMs);
  const prefix = config.redis.prefix;
  const redis = redisConnection(config.redis);
  const workerConnection = redisConnection(config.redis, { blocking: true });
  // One hosts queue per queue partition (K = 1: the one under the prefix).
  const hostsQueue = partitionQueues<HostJobWire>(redis, config.redis, HOSTS_QUEUE);
  const planner = createRunPlanner({ cassandra, keyspace: config.cassandra.keyspace, redis, prefix, hostsQueue, modules, signer }, { batchSize: options.batchSize, batchPauseMs: options.batchPauseMs });
  const worker = startRunRequestWorker(workerConnection, prefix, planner, { ...options, partitionPrefixes: queuePartitionPrefixes(config.redis) }, {
    planned: (request, answer) =>
      logger.info({ requestId: request.requestId, source: request.source, runId: answer.runId, hosts: answer.hostCount }, `run ${answer.runId}: ${answer.hostCount} host job(s) enqueued (request ${request.requestId})`),
    refused: (jobId, reason) => logger.warn({ job: jobId }, `request ${jobId} refused: ${reason}`),
    fired: (schedule, outcome) =>
      'started' in outcome
        ? logger.info({ schedule, runId: outcome.started.runId, hosts: outcome.started.hostCount }, `schedule ${schedule}: run ${outcome.started.runId}: ${outcome.started.hostCount} host job(s) enqueued`)
        : logger.info({ schedule }, `schedule ${schedule}: skipped: ${outcome.skipped}`),
  });
  worker.on('error', (error) => logger.error(`run requests: ${errorMessage(error)}`));
  await worker.waitUntilReady();

  let beating = true;
  const beat = () =>
    beatMaster(redis, prefix, options.name, options.heartbeatMs).catch((error: unknown) => logger.warn(`heartbeat: ${errorMessage(error)}`));
  await beat();
  const timer = setInterval(() => void (beating && beat()), Math.max(250, Math.floor(options.heartbeatMs / 3)));
  logger.info({ concurrency: options.concurrency }, `master ${options.name}: taking run requests (concurrency ${options.concurrency})`);

  // Reverse order of set-up; each runs even when one before it throws.
  const releasers: Releaser[] = [
    () => cassandra.shutdown(),
    () => redis.disconnect(),
    () => workerConnection.disconnect(),
    () => Promise.all(hostsQueue.map((q) => q.close())),
    () => worker.close(),
    () => leaveMasters(redis, prefix, options.name),
    () => {
      beating = false;
      clearInterval(timer);
    },
  ];
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`master ${options.name}: ${signal}, finishing the requests being planned`);
    closeAll(releasers).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`master ${options.name}: close failed: ${coerceError(error).message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(`master: ${coerceError(error).message}`);
  process.exit(error instanceof ConfigError ? CommandExit.badInput : CommandExit.unavailable);
});
