import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { KnownHosts } from './known-hosts';
import { formatKnownHostsLine, keyType } from './known-hosts-line';

export interface HostKeyTarget {
  readonly hostname: string;
  readonly address: string;
  readonly port: number;
  /** Keys pinned in the inventory (`ssh-ed25519 AAAA…`); when present, the only ones accepted. */
  readonly hostKeys?: readonly string[];
}

/** Says why a host key is refused, or undefined when it is the host's. */
export interface HostKeyPolicy {
  verify(target: HostKeyTarget, key: Buffer): string | undefined;
}

/** OpenSSH's fingerprint of a key blob: `SHA256:<base64 without padding>`. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

function pinnedKeys(lines: readonly string[]): Buffer[] {
  return lines.map((line) => Buffer.from(line.trim().split(/\s+/)[1] ?? '', 'base64'));
}

/**
 * Host keys are checked on every connection: against the keys pinned in the inventory when it
 * has any, else against known_hosts (plain or hashed names). A host with no known key is
 * refused, unless `acceptNewKeysFile` is given: then (trust on first use, an explicit opt-in)
 * its key is accepted once and appended to that file, so every later connection is checked.
 * A key that differs from a known one is always refused.
 */
export function hostKeyPolicy(knownHosts: KnownHosts, { acceptNewKeysFile, log }: { acceptNewKeysFile?: string; log?: (line: string) => void } = {}): HostKeyPolicy {
  const trusted = new Map<string, Buffer>();
  return {
    verify(target, key) {
      const where = `${target.address}:${target.port}`;
      if (target.hostKeys && target.hostKeys.length > 0) {
        return pinnedKeys(target.hostKeys).some((k) => k.equals(key))
          ? undefined
          : `the host key offered by ${where} (${fingerprint(key)}) is not one the inventory pins for ${target.hostname}`;
      }
      const { keys, revoked } = knownHosts.keysFor([target.hostname, target.address], target.port);
      if (revoked.some((k) => k.equals(key))) return `the host key offered by ${where} is marked @revoked in known_hosts`;
      if (keys.some((k) => k.equals(key))) return undefined;
      if (keys.length > 0) return `the host key offered by ${where} (${fingerprint(key)}) differs from the one known_hosts has for ${target.hostname}`;
      const earlier = trusted.get(target.hostname);
      if (earlier) return earlier.equals(key) ? undefined : `the host key offered by ${where} (${fingerprint(key)}) differs from the one trusted on first use`;
      if (!acceptNewKeysFile) return `no known host key for ${target.hostname} (${where}) in known_hosts or the inventory`;
      trusted.set(target.hostname, key);
      fs.appendFileSync(acceptNewKeysFile, formatKnownHostsLine([target.hostname, target.address], target.port, key));
      log?.(`trusted on first use: ${target.hostname} (${where}) ${keyType(key)} ${fingerprint(key)}, recorded in ${acceptNewKeysFile}`);
      return undefined;
    },
  };
}
