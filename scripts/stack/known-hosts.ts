/**
 * A small reader for OpenSSH known_hosts files, enough to verify host keys with ssh2
 * (whose `hostVerifier` gets the raw key blob and leaves the checking to us).
 *
 * Line format: `[marker] patterns keytype base64-key [comment]`, where patterns is a
 * comma-separated list of names/addresses (port 22) or `[name]:port` (other ports),
 * may use `*`/`?` wildcards and `!` negation, or is one hashed entry `|1|salt|hmac`.
 * Lines marked `@revoked` reject the key; `@cert-authority` lines are skipped (no
 * certificate support here).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';

export interface KnownHostLine {
  readonly marker?: '@revoked' | '@cert-authority';
  readonly patterns: string;
  readonly keyType: string;
  /** The key blob, exactly what ssh2's hostVerifier receives. */
  readonly key: Buffer;
}

export function parseKnownHosts(text: string): KnownHostLine[] {
  const lines: KnownHostLine[] = [];
  for (const raw of text.split('\n')) {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) continue;
    let marker: KnownHostLine['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') marker = fields.shift() as KnownHostLine['marker'];
    const [patterns, keyType, key] = fields;
    if (!patterns || !keyType || !key) continue;
    lines.push({ marker, patterns, keyType, key: Buffer.from(key, 'base64') });
  }
  return lines;
}

/** The name OpenSSH looks up: `host` for port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port = 22): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function wildcardMatch(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(name);
}

/** Whether a line's patterns select `name` (already in `knownHostsName` form). */
export function patternsMatch(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) {
    const [, , salt, hash] = patterns.split('|');
    if (!salt || !hash) return false;
    const mac = crypto.createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  let matched = false;
  for (const pattern of patterns.split(',')) {
    if (pattern.startsWith('!')) {
      if (wildcardMatch(pattern.slice(1), name)) return false; // a negated match wins
    } else if (wildcardMatch(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

/** Keys the file accepts for host:port (any of `names`, e.g. hostname and address). */
export function knownHostKeys(lines: readonly KnownHostLine[], names: readonly string[], port = 22): KnownHostLine[] {
  const wanted = names.map((n) => knownHostsName(n, port));
  return lines.filter((l) => l.marker === undefined && wanted.some((w) => patternsMatch(l.patterns, w)));
}

/**
 * A `hostVerifier` for ssh2: accepts exactly the keys known for one of `names` at
 * `port`, and nothing revoked. ssh2 calls it with the server's host key blob.
 */
export function knownHostsVerifier(
  lines: readonly KnownHostLine[],
  names: readonly string[],
  port = 22,
): (key: Buffer) => boolean {
  const accepted = knownHostKeys(lines, names, port);
  const revoked = lines.filter((l) => l.marker === '@revoked');
  return (key: Buffer) => !revoked.some((l) => l.key.equals(key)) && accepted.some((l) => l.key.equals(key));
}

export function readKnownHosts(file: string): KnownHostLine[] {
  return parseKnownHosts(fs.readFileSync(file, 'utf8'));
}
