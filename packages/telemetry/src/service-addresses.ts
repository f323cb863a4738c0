import type { CassandraConfig, RedisConfig } from '@simplecm/config';
import type { ServiceAddress } from './outage-reporter';

/** Redis as outage lines name it: `127.0.0.1:6380` (never the password) and its setting. */
export function redisService(config: RedisConfig): ServiceAddress {
  if (config.clusterNodes && config.clusterNodes.length > 0) {
    return { service: 'Redis', address: config.clusterNodes.join(','), setting: 'SIMPLECM_REDIS_CLUSTER' };
  }
  let address: string;
  try {
    const url = new URL(config.url);
    address = `${url.hostname || '127.0.0.1'}:${url.port || '6379'}`;
  } catch {
    address = '(unparsable URL)';
  }
  return { service: 'Redis', address, setting: 'SIMPLECM_REDIS_URL' };
}

/** Cassandra as outage lines name it: its contact points and their setting. */
export function cassandraService(config: CassandraConfig): ServiceAddress {
  return { service: 'Cassandra', address: config.contactPoints.join(','), setting: 'SIMPLECM_CASSANDRA_CONTACT_POINTS' };
}

/** Whether an error means the service could not be reached (rather than a bad command or job). */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE)$/.test(code)) return true;
  const message = error instanceof Error ? error.message : String(error);
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|Connection is closed|connect ETIMEDOUT|All host\(s\) tried for query failed|NoHostAvailable/i.test(message);
}
