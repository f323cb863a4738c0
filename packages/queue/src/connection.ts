import fs from 'node:fs';
import net from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';

export interface RedisConfig {
  /** `redis://host:port` or, for TLS + ACL, `rediss://user:password@host:port[/db]`. Secret: never log it, log `redactRedisUrl(url)`. */
  readonly url: string;
  /** PEM file of the CA that signed the server's certificate; only meaningful with `rediss://`. */
  readonly tlsCaFile?: string;
  readonly prefix: string;
}

/** The Redis URL is unusable; the message never contains the password. */
export class RedisUrlError extends Error {
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
        throw new RedisUrlError(`cannot read SIMPLECM_REDIS_CA ${config.tlsCaFile}: ${error instanceof Error ? error.message : String(error)}`);
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
 */
export function redisConnection(config: RedisConfig, { blocking = false }: { blocking?: boolean } = {}): Redis {
  return new Redis({
    ...redisConnectionOptions(config),
    maxRetriesPerRequest: blocking ? null : 20,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    lazyConnect: false,
  });
}
