import fs from 'node:fs';
import net from 'node:net';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { hashTag, hostPortSchema, type RedisConfig } from '@simplecm/config';
import { errorMessage, SimpleCmError } from '@simplecm/kernel';

/** A single Redis or a Redis Cluster: both run every command SimpleCM and BullMQ send. */
export type RedisClient = Redis | Cluster;

/** The Redis URL is unusable; the message never contains the password. */
export class RedisUrlError extends SimpleCmError<'invalid-redis-url'> {
  override readonly name = 'RedisUrlError';
  readonly code = 'invalid-redis-url' as const;
}

/** The URL with its password (if any) replaced by `***`: what log lines and status output may show. */
export function redactRedisUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Unparsable: blank out anything between `//` and the last `@`, where a password would be.
    return url.replace(/\/\/[^/]*@/, '//***@');
  }
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/**
 * Where to connect and how, taken apart from the URL here rather than by ioredis, so that the
 * URL (with its password) is never stored in the client's options or echoed in an error.
 *
 * TLS (`rediss://`): the server must present a certificate for the URL's host. For a DNS name
 * the name is also sent as SNI; for an IP address no SNI is sent (RFC 6066 forbids IP
 * literals there) and Node checks the certificate's IP subjectAltName against the address.
 * With `tlsCaFile` the file's CA(s) are the only trusted roots; without it, the system roots.
 */
export function redisConnectionOptions(config: RedisConfig): RedisOptions {
  let url: URL;
  try {
    url = new URL(config.url);
  } catch {
    // Not `cause`: Node's URL error carries the whole input, password included.
    throw new RedisUrlError(`SIMPLECM_REDIS_URL is not a valid URL (${redactRedisUrl(config.url)})`);
  }
  const secure = url.protocol === 'rediss:';
  if (!secure && url.protocol !== 'redis:') {
    throw new RedisUrlError(`SIMPLECM_REDIS_URL must start with redis:// or rediss://, not ${url.protocol}//`);
  }
  if (!secure && config.tlsCaFile) {
    // A CA with a plaintext URL means someone believes the link is encrypted while it is not.
    throw new RedisUrlError(`SIMPLECM_REDIS_CA is set but SIMPLECM_REDIS_URL (${redactRedisUrl(config.url)}) is plaintext: use rediss://`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = url.port ? Number(url.port) : 6379;
  const dbPath = url.pathname.replace(/^\//, '');
  if (dbPath !== '' && !/^\d+$/.test(dbPath)) {
    throw new RedisUrlError(`SIMPLECM_REDIS_URL path must be a database number (${redactRedisUrl(config.url)})`);
  }
  const options: RedisOptions = { host, port };
  if (dbPath !== '') options.db = Number(dbPath);
  // WHATWG URL keeps userinfo percent-encoded; a password with `@ : / %` must be encoded in the URL.
  try {
    if (url.username) options.username = decodeURIComponent(url.username);
    if (url.password) options.password = decodeURIComponent(url.password);
  } catch {
    throw new RedisUrlError(`SIMPLECM_REDIS_URL has a badly percent-encoded user or password (${redactRedisUrl(config.url)})`);
  }
  if (secure) {
    let ca: Buffer | undefined;
    if (config.tlsCaFile) {
      try {
        ca = fs.readFileSync(config.tlsCaFile);
      } catch (error) {
        throw new RedisUrlError(`cannot read SIMPLECM_REDIS_CA ${config.tlsCaFile}: ${errorMessage(error)}`);
      }
    }
    options.tls = {
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      ...(ca ? { ca: [ca] } : {}),
      ...(net.isIP(host) === 0 ? { servername: host } : {}),
    };
  }
  return options;
}

/**
 * A new ioredis connection. `blocking` connections (BullMQ workers) must retry commands
 * forever (maxRetriesPerRequest null) so a Redis restart pauses them instead of failing jobs.
 * TLS and ACL credentials come from the URL (see `redisConnectionOptions`).
 *
 * With `clusterNodes` this is a `Cluster` (see `redisClusterConnection`), returned under the
 * `Redis` type so that existing callers compile unchanged: they use only commands, `eval`,
 * `disconnect`/`quit`, and hand it to BullMQ, which detects a cluster itself; all of these
 * exist on both. Code that needs to tell them apart uses `redisClient` (typed `RedisClient`).
 */
export function redisConnection(config: RedisConfig, options: ConnectionOptions = {}): Redis {
  return redisClient(config, options) as Redis;
}

export interface ConnectionOptions {
  /** Retry commands forever (BullMQ workers), default false. */
  readonly blocking?: boolean;
  /**
   * ioredis auto-pipelining, default false: commands issued in the same event-loop turn leave in
   * one socket write. Worth it where many commands are issued at once (the results consumer
   * completes a whole group of jobs together); on this machine a write costs a syscall that is
   * a sizeable share of a process's CPU.
   */
  readonly autoPipelining?: boolean;
}

/** A single Redis or, with `clusterNodes`, a Redis Cluster client. */
export function redisClient(config: RedisConfig, { blocking = false, autoPipelining = false }: ConnectionOptions = {}): RedisClient {
  if (config.clusterNodes && config.clusterNodes.length > 0) return redisClusterConnection(config, { blocking, autoPipelining });
  return new Redis({
    ...redisConnectionOptions(config),
    enableAutoPipelining: autoPipelining,
    maxRetriesPerRequest: blocking ? null : 20,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    lazyConnect: false,
  });
}

/** How long commands wait out a failover (a master's replica being promoted) before failing. */
const clusterRetryDelayMs = 500;
const clusterMaxRedirections = 80; // × 500 ms ≈ 40 s, several cluster-node-timeouts

/** `host:port` seed strings as ioredis wants them; throws RedisUrlError on a malformed one. */
export function parseClusterNodes(nodes: readonly string[]): Array<{ host: string; port: number }> {
  return nodes.map((node) => {
    const hostPort = node.trim();
    if (!hostPortSchema.safeParse(hostPort).success) throw new RedisUrlError(`SIMPLECM_REDIS_CLUSTER entry "${node}" is not host:port`);
    const colon = hostPort.lastIndexOf(':');
    return { host: hostPort.slice(0, colon), port: Number(hostPort.slice(colon + 1)) };
  });
}

/**
 * An ioredis Cluster client. It keeps the slot map of the cluster, follows MOVED/ASK, and when a
 * master dies it retries the master's commands every 500 ms (refreshing the slot map each time)
 * for up to ~40 s, which covers the detection (cluster-node-timeout) and the promotion of a replica.
 * Blocking connections (BullMQ workers) never give up on a command (maxRetriesPerRequest null).
 */
export function redisClusterConnection(config: RedisConfig, { blocking = false, autoPipelining = false }: ConnectionOptions = {}): Cluster {
  if (hashTag(config.prefix) === undefined) {
    throw new RedisUrlError(`queue prefix "${config.prefix}" has no hash tag: on a Redis Cluster use one like {${config.prefix}}`);
  }
  const options: ClusterOptions = {
    redisOptions: { maxRetriesPerRequest: blocking ? null : 20, enableReadyCheck: true, connectTimeout: 5_000 },
    clusterRetryStrategy: (times) => Math.min(times * 200, 2_000),
    retryDelayOnFailover: clusterRetryDelayMs,
    retryDelayOnClusterDown: clusterRetryDelayMs,
    retryDelayOnTryAgain: 200,
    maxRedirections: clusterMaxRedirections,
    slotsRefreshTimeout: 2_000,
    slotsRefreshInterval: 5_000,
    // No cluster ready check. The check asks one master for CLUSTER INFO; while a master is down
    // it may ask that one (or, with full slot coverage required, see cluster_state:fail), and
    // ioredis then retries under a new promise: the connect() that BullMQ awaits when it resets a
    // worker's blocking connection never settles, and that worker takes no job again (the results
    // consumer stalled so in redis-failover.test.ts; idle-worker-outage.test.ts pins it). Without
    // the check the client is ready once it has the slot map, and commands to a shard that is
    // down are retried (retryDelayOnFailover / retryDelayOnClusterDown) as in any failover.
    enableReadyCheck: false,
    scaleReads: 'master',
    lazyConnect: false,
    enableAutoPipelining: autoPipelining,
  };
  return new Cluster(parseClusterNodes(config.clusterNodes ?? []), options);
}
