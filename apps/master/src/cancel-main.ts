import { z } from 'zod';
import { ConfigError, connectionConfigFromEnv, parseCli, wantsHelp } from '@simplecm/config';
import { RUN_ID_PATTERN } from '@simplecm/domain';
import { closeAll, type Releaser } from '@simplecm/kernel';
import { cancelDepsOf, cancelRun } from '@simplecm/control';
import { HOSTS_QUEUE, partitionQueues, probeRedis, queuePartitionPrefixes, redisConnection } from '@simplecm/queue';
import { connectCassandraWithin, runStore } from '@simplecm/store';
import { runCommand } from './run-command';

const USAGE = 'usage: simplecm cancel <runId> [--json] [--connect-timeout S]';
const HELP = `${USAGE}

Cancels a run: removes its host jobs still waiting, lets the hosts already running finish, then
records the run cancelled with hosts done + hosts cancelled = hosts in the run. A master still
planning the run adds no further host job. Running it again on a cancelled run changes nothing.

options:
  --json              print the outcome as one JSON object
  --connect-timeout S give up on an unreachable Redis or Cassandra after S seconds (exit 3); default 10

exit codes: 0 cancelled (or already ended); 2 no such run or bad input; 3 Redis or Cassandra unavailable
`;

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (wantsHelp(argv)) {
    process.stdout.write(HELP);
    return 0;
  }
  const { flags, positionals } = parseCli(
    argv,
    { json: { type: 'boolean' }, 'connect-timeout': { type: 'string' } },
    z.object({ json: z.boolean().optional(), 'connect-timeout': z.coerce.number().int().min(1).max(600).optional() }),
    { positionals: true },
  );
  const runId = positionals[0];
  if (positionals.length !== 1 || runId === undefined) throw new ConfigError(USAGE);
  if (!RUN_ID_PATTERN.test(runId)) throw new ConfigError(`<runId> '${runId}' is not a run id (the time UUID \`simplecm runs\` lists); ${USAGE}`);
  const timeoutMs = (flags['connect-timeout'] ?? 10) * 1000;
  const config = connectionConfigFromEnv(process.env);
  const prefix = config.redis.prefix;
  await probeRedis(config.redis, timeoutMs);
  const cassandra = await connectCassandraWithin(config.cassandra, timeoutMs);
  const redis = redisConnection(config.redis);
  // One hosts queue per queue partition: waiting host jobs are removed from every partition.
  const hostsQueue = partitionQueues(redis, config.redis, HOSTS_QUEUE);
  const releasers: Releaser[] = [() => cassandra.shutdown(), () => redis.disconnect(), () => Promise.all(hostsQueue.map((q) => q.close()))];
  try {
    const runs = runStore(cassandra, config.cassandra.keyspace);
    let told = false;
    const outcome = await cancelRun(
      cancelDepsOf(
        { redis, prefix, partitions: queuePartitionPrefixes(config.redis), hostsQueue, runs },
        {
          onWaiting: (running, results) => {
            if (!told && !flags.json) console.error(`cancel: waiting for ${running} running host(s) and ${results} result(s) to be recorded`);
            told = true;
          },
        },
      ),
      runId,
    );
    if (flags.json) {
      console.log(JSON.stringify(outcome));
      return 0;
    }
    const what = outcome.result === 'cancelled' ? `cancelled (${outcome.jobsRemoved} waiting host job(s) removed)` : outcome.result.replace('-', ' ');
    console.log(`run ${runId}: ${what}; hosts: ${outcome.hostsDone} done + ${outcome.hostsCancelled} cancelled = ${outcome.hostCount}`);
    return 0;
  } finally {
    await closeAll(releasers).catch(() => undefined);
  }
}

runCommand('cancel', main);
