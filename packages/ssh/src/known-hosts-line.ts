import { knownHostsName } from './known-hosts';

/** The key type inside an SSH public key blob (its first length-prefixed string). */
export function keyType(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const length = key.readUInt32BE(0);
  return key.subarray(4, 4 + length).toString('ascii');
}

/**
 * One known_hosts line (newline included) for a key blob: the names as OpenSSH spells them for
 * `port` (bare on 22, `[name]:port` otherwise), comma-separated, then the key's type and base64.
 */
export function formatKnownHostsLine(names: readonly string[], port: number, key: Buffer): string {
  return `${names.map((n) => knownHostsName(n, port)).join(',')} ${keyType(key)} ${key.toString('base64')}\n`;
}
