import { createHmac } from 'node:crypto';
import fs from 'node:fs';

/** One usable line of a known_hosts file. */
interface KnownHostEntry {
  /** Plain patterns (`host1`, `[10.0.0.1]:2222`) or hashed `|1|salt|hash` names. */
  readonly names: readonly string[];
  readonly keyType: string;
  readonly key: Buffer;
  readonly revoked: boolean;
}

export interface KnownHosts {
  /** Keys recorded for a host at address:port (any of its names), revoked ones apart. */
  keysFor(names: readonly string[], port: number): { keys: Buffer[]; revoked: Buffer[] };
}

/** OpenSSH's spelling of a host in known_hosts: bare on port 22, `[name]:port` otherwise. */
export function knownHostsName(name: string, port: number): string {
  return port === 22 ? name : `[${name}]:${port}`;
}

function matchesHashed(pattern: string, candidate: string): boolean {
  // |1|base64(salt)|base64(HMAC-SHA1(salt, name)) — OpenSSH's HashKnownHosts format.
  const [, magic, salt, hash] = pattern.split('|');
  if (magic !== '1' || !salt || !hash) return false;
  const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(candidate).digest('base64');
  return digest === hash;
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

function entryMatches(entry: KnownHostEntry, candidates: readonly string[]): boolean {
  let matched = false;
  for (const raw of entry.names) {
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    const hit = candidates.some((c) => (pattern.startsWith('|1|') ? matchesHashed(pattern, c) : globToRegExp(pattern).test(c)));
    if (hit && negated) return false;
    if (hit) matched = true;
  }
  return matched;
}

export function parseKnownHosts(text: string): KnownHosts {
  const entries: KnownHostEntry[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const fields = trimmed.split(/\s+/);
    let revoked = false;
    if (fields[0]?.startsWith('@')) {
      // @cert-authority lines are not supported (no CA-signed host keys yet); @revoked is.
      if (fields[0] !== '@revoked') continue;
      revoked = true;
      fields.shift();
    }
    const [names, keyType, keyBase64] = fields;
    if (!names || !keyType || !keyBase64) continue;
    entries.push({ names: names.split(','), keyType, key: Buffer.from(keyBase64, 'base64'), revoked });
  }
  return {
    keysFor(names, port) {
      const candidates = names.map((n) => knownHostsName(n, port));
      const matching = entries.filter((e) => entryMatches(e, candidates));
      return { keys: matching.filter((e) => !e.revoked).map((e) => e.key), revoked: matching.filter((e) => e.revoked).map((e) => e.key) };
    },
  };
}

export function loadKnownHosts(file: string): KnownHosts {
  return parseKnownHosts(fs.readFileSync(file, 'utf8'));
}
