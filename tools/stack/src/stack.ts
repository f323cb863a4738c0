import fs from 'node:fs';
import path from 'node:path';
import { connectCassandra, applySchema } from '@simplecm/store';
import { cassandraContactPoint, cassandraDataCenter, cassandraDown, cassandraStatus, cassandraUp } from './cassandra';
import {
  cassandraClusterContactPoints,
  cassandraClusterDown,
  cassandraClusterExists,
  cassandraClusterReplication,
  cassandraClusterStatus,
  cassandraClusterUp,
} from './cassandra-cluster';
import { hostsDown, hostsStatus, hostsUp } from './ssh-hosts/test-hosts';
import type { StackHost } from './ssh-hosts/stack-host';
import { stopRegisteredProcesses } from './stop-on-down';
import { ensureJobKeys } from './job-keys';
import { repoRoot, stackPaths, stateDir } from './paths';
import type { ComponentStatus } from './stack-error';
import { redisDown, redisStatus, redisUp, redisUrl } from './redis';
import { ensureRedisUsers } from './redis-users';
import { redisClusterDown, redisClusterExists, redisClusterNodes, redisClusterStatus, redisClusterUp } from './redis-cluster';
import { closeAll } from '@simplecm/kernel';

export const DEFAULT_KEYSPACE = 'simplecm';
export const DEFAULT_REPLICATION = "{'class': 'SimpleStrategy', 'replication_factor': 1}";

/**
 * The environment every SimpleCM process needs to use the local stack: what `npm run demo`
 * and the tests pass to the master, workers and results consumer (also written to .stack/env).
 */
export function stackEnv(keyspace = DEFAULT_KEYSPACE): Record<string, string> {
  return {
    SIMPLECM_REDIS_URL: redisUrl,
    SIMPLECM_CASSANDRA_CONTACT_POINTS: cassandraContactPoint,
    SIMPLECM_CASSANDRA_DC: cassandraDataCenter,
    SIMPLECM_KEYSPACE: keyspace,
    SIMPLECM_KEYS_DIR: stackPaths.keysDir,
    SIMPLECM_KNOWN_HOSTS: stackPaths.knownHosts,
    SIMPLECM_MODULES_DIR: path.join(repoRoot, 'modules'),
    // One file for the local stack; where masters and workers are apart, only masters get the
    // private key and workers get the public directory (docs/security.md).
    SIMPLECM_JOB_SIGNING_KEY: stackPaths.jobSigningKey,
    SIMPLECM_JOB_PUBLIC_KEYS: stackPaths.jobPublicKeysDir,
    SIMPLECM_RESULT_KEY: stackPaths.resultKey,
    // Likewise: masters get the seal public key, workers the private keys (docs/security.md).
    SIMPLECM_SEAL_PUBLIC_KEY: stackPaths.sealPublicKey,
    SIMPLECM_SEAL_PRIVATE_KEYS: stackPaths.sealPrivateKeysDir,
  };
}

/** Which clusters a process should use instead of the single Redis / single Cassandra node. */
export interface ClusterChoice {
  /** Nodes of the Cassandra ring (2…9); absent: the single node. */
  readonly cassandraNodes?: number;
  /** Use the Redis Cluster (127.0.0.1:7101-7106); absent: the single Redis. */
  readonly redisCluster?: boolean;
}

/**
 * `stackEnv` pointed at the clusters chosen: all contact points, replication factor 3 (fewer
 * on a smaller ring), LOCAL_QUORUM, the Redis Cluster seeds and a hash-tagged queue prefix.
 * Written to .stack/env-cluster by `up --cassandra-nodes N` / `--redis-cluster`; .stack/env stays as it is.
 */
export function clusterStackEnv(keyspace = DEFAULT_KEYSPACE, choice: ClusterChoice = {}): Record<string, string> {
  const env = stackEnv(keyspace);
  if (choice.cassandraNodes !== undefined && choice.cassandraNodes > 1) {
    env.SIMPLECM_CASSANDRA_CONTACT_POINTS = cassandraClusterContactPoints(choice.cassandraNodes).join(',');
    env.SIMPLECM_CASSANDRA_REPLICATION = cassandraClusterReplication(choice.cassandraNodes);
    env.SIMPLECM_CASSANDRA_CONSISTENCY = 'LOCAL_QUORUM';
  }
  if (choice.redisCluster) {
    delete env.SIMPLECM_REDIS_URL; // not used on a cluster
    env.SIMPLECM_REDIS_CLUSTER = redisClusterNodes.join(',');
    env.SIMPLECM_QUEUE_PREFIX = '{simplecm}';
  }
  return env;
}

/** `export K='v'` lines a POSIX shell sources back to the same values (replication maps hold quotes and spaces). */
function envFileText(env: Record<string, string>): string {
  return Object.entries(env).map(([k, v]) => `export ${k}='${v.replaceAll("'", `'\\''`)}'`).join('\n') + '\n';
}

export interface StackUpOptions extends ClusterChoice {
  readonly hosts: number;
  /** Keep hosts above `hosts` that are already running (default: stop them). */
  readonly atLeast?: boolean;
  readonly log: (line: string) => void;
}

export async function stackUp({ hosts, log, atLeast = false, cassandraNodes, redisCluster = false }: StackUpOptions): Promise<{ hosts: StackHost[] }> {
  fs.mkdirSync(stateDir, { recursive: true });
  await redisUp({ log });
  // On a Redis just started or one already running alike (ACL SETUSER, no restart).
  await ensureRedisUsers(log);
  // Cassandra takes the longest: start the hosts while it boots.
  const [, stackHosts] = await Promise.all([
    (async () => {
      await cassandraUp({ log });
      const client = await connectCassandra({ contactPoints: [cassandraContactPoint], localDataCenter: cassandraDataCenter, keyspace: DEFAULT_KEYSPACE, replication: DEFAULT_REPLICATION });
      try {
        await applySchema(client, DEFAULT_KEYSPACE, DEFAULT_REPLICATION);
      } finally {
        await client.shutdown();
      }
      log(`cassandra: schema applied to keyspace ${DEFAULT_KEYSPACE}`);
    })(),
    hostsUp({ count: hosts, log, atLeast }),
  ]);
  ensureJobKeys(log);
  const env = stackEnv();
  fs.writeFileSync(path.join(stateDir, 'env'), Object.entries(env).map(([k, v]) => `export ${k}=${v}`).join('\n') + '\n');
  const withCassandraCluster = cassandraNodes !== undefined && cassandraNodes > 1;
  if (withCassandraCluster || redisCluster) {
    // After the single node: its start fetches the jars the ring runs from.
    await Promise.all([
      withCassandraCluster ? cassandraClusterSchemaUp(cassandraNodes, log) : undefined,
      redisCluster ? redisClusterUp({ log }) : undefined,
    ]);
    const choice = { cassandraNodes: withCassandraCluster ? cassandraNodes : undefined, redisCluster };
    fs.writeFileSync(path.join(stateDir, 'env-cluster'), envFileText(clusterStackEnv(DEFAULT_KEYSPACE, choice)));
  }
  return { hosts: stackHosts };
}

/** Starts the ring and creates the default keyspace on it with replication factor 3. */
async function cassandraClusterSchemaUp(nodes: number, log: (line: string) => void): Promise<void> {
  const { contactPoints, replication } = await cassandraClusterUp({ nodes, log });
  const client = await connectCassandra({ contactPoints, localDataCenter: cassandraDataCenter, keyspace: DEFAULT_KEYSPACE, replication });
  try {
    await applySchema(client, DEFAULT_KEYSPACE, replication);
  } finally {
    await client.shutdown();
  }
  log(`cassandra-cluster: schema applied to keyspace ${DEFAULT_KEYSPACE} (replication ${replication})`);
}

/**
 * Stops everything, the clusters included, and the processes registered to stop with the stack
 * (stop-on-down.ts); runs every step even when one fails, hosts first (reverse of start).
 */
export async function stackDown(): Promise<void> {
  const clusters = [...(cassandraClusterExists() ? [cassandraClusterDown] : []), ...(redisClusterExists() ? [redisClusterDown] : [])];
  // In order of start-up; closeAll stops them the other way round.
  await closeAll([() => redisDown(), () => cassandraDown(), ...clusters.reverse(), () => hostsDown(), () => stopRegisteredProcesses()]);
}

export async function stackStatus(): Promise<ComponentStatus[]> {
  // The clusters are listed once they were ever started here.
  const redisClusterRows = redisClusterExists() ? [await redisClusterStatus()] : [];
  const cassandraClusterRows = cassandraClusterExists() ? await cassandraClusterStatus() : [];
  return [await redisStatus(), ...redisClusterRows, await cassandraStatus(), ...cassandraClusterRows, ...(await hostsStatus())];
}
