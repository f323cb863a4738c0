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

/** One name pattern of an entry, compiled once when the file is read. */
interface NamePattern {
  readonly negated: boolean;
  readonly test: (candidate: string) => boolean;
}

function compilePattern(raw: string): NamePattern {
  const negated = raw.startsWith('!');
  const pattern = negated ? raw.slice(1) : raw;
  if (pattern.startsWith('|1|')) return { negated, test: (c) => matchesHashed(pattern, c) };
  const regExp = globToRegExp(pattern);
  return { negated, test: (c) => regExp.test(c) };
}

function entryMatches(patterns: readonly NamePattern[], candidates: readonly string[]): boolean {
  let matched = false;
  for (const { negated, test } of patterns) {
    const hit = candidates.some(test);
    if (hit && negated) return false;
    if (hit) matched = true;
  }
  return matched;
}

/**
 * Parses a known_hosts file for many lookups: a worker checks one host key per connection, and a
 * fleet's file has a line per host. Entries whose names are all plain (no wildcard, negation or
 * hash) are found through an index by name; only the others are tried one by one, with their
 * patterns compiled once here. (A hashed entry can only be tested by hashing the candidate with
 * its own salt, so a file of 100,000 hashed lines costs 100,000 HMACs per connection: pin keys in
 * the inventory, or keep known_hosts unhashed, for large fleets.)
 */
export function parseKnownHosts(text: string): KnownHosts {
  const entries: KnownHostEntry[] = [];
  const byName = new Map<string, number[]>();
  const scanned: Array<{ index: number; patterns: NamePattern[] }> = [];
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
    const index = entries.length;
    const entry: KnownHostEntry = { names: names.split(','), keyType, key: Buffer.from(keyBase64, 'base64'), revoked };
    entries.push(entry);
    if (entry.names.every((n) => !/[*?!]/.test(n) && !n.startsWith('|'))) {
      // OpenSSH compares host names case-insensitively.
      for (const name of entry.names) byName.set(name.toLowerCase(), [...(byName.get(name.toLowerCase()) ?? []), index]);
    } else {
      scanned.push({ index, patterns: entry.names.map(compilePattern) });
    }
  }
  return {
    keysFor(names, port) {
      const candidates = names.map((n) => knownHostsName(n, port));
      const hits = new Set<number>();
      for (const c of candidates) for (const i of byName.get(c.toLowerCase()) ?? []) hits.add(i);
      for (const { index, patterns } of scanned) if (entryMatches(patterns, candidates)) hits.add(index);
      // In file order, as a linear scan would give them.
      const matching = [...hits].sort((a, b) => a - b).map((i) => entries[i]!);
      return { keys: matching.filter((e) => !e.revoked).map((e) => e.key), revoked: matching.filter((e) => e.revoked).map((e) => e.key) };
    },
  };
}

export function loadKnownHosts(file: string): KnownHosts {
  return parseKnownHosts(fs.readFileSync(file, 'utf8'));
}
