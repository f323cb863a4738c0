import fs from 'node:fs';
import path from 'node:path';
import { connectCassandra, applySchema } from '@simplecm/store';
import { cassandraContactPoint, cassandraDataCenter, cassandraDown, cassandraStatus, cassandraUp } from './cassandra';
import { stopDemoDashboard } from '../demo-dashboard';
import { hostsDown, hostsStatus, hostsUp, type StackHost } from './hosts';
import { repoRoot, stackPaths, stateDir } from './paths';
import type { ComponentStatus } from './proc';
import { redisDown, redisStatus, redisUp, redisUrl } from './redis';

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
  };
}

export interface StackUpOptions {
  readonly hosts: number;
  /** Keep hosts above `hosts` that are already running (default: stop them). */
  readonly atLeast?: boolean;
  readonly log: (line: string) => void;
}

export async function stackUp({ hosts, log, atLeast = false }: StackUpOptions): Promise<{ hosts: StackHost[] }> {
  fs.mkdirSync(stateDir, { recursive: true });
  await redisUp({ log });
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
  const env = stackEnv();
  fs.writeFileSync(path.join(stateDir, 'env'), Object.entries(env).map(([k, v]) => `export ${k}=${v}`).join('\n') + '\n');
  return { hosts: stackHosts };
}

/** Stops everything; runs every step even when one fails, hosts first (reverse of start). */
export async function stackDown(): Promise<void> {
  const errors: unknown[] = [];
  for (const step of [stopDemoDashboard, hostsDown, cassandraDown, redisDown]) {
    try {
      await step();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw errors[0];
}

export async function stackStatus(): Promise<ComponentStatus[]> {
  return [await redisStatus(), await cassandraStatus(), ...(await hostsStatus())];
}
