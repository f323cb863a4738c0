/**
 * The stack's host keys and known_hosts files for the bench: read the stack's file, write one
 * for hosts reached at other addresses (the WAN proxy: `[addr]:port` entries), and look a key
 * up the way OpenSSH spells names (bare on port 22, `[name]:port` otherwise).
 */
import fs from 'node:fs';

/** `host1` -> `ssh-ed25519 AAAA…`, from a known_hosts file with `host1,127.10.0.1 <type> <key>` lines. */
export function readHostKeys(file: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const [names, type, key] = line.trim().split(/\s+/);
    if (!names || !type || !key || names.startsWith('#')) continue;
    for (const name of names.split(',')) keys.set(name, `${type} ${key}`);
  }
  return keys;
}

export function sshName(name: string, port: number): string {
  return port === 22 ? name : `[${name}]:${port}`;
}

export interface KnownHostLine {
  readonly names: readonly string[];
  readonly port: number;
  /** `<type> <base64>` */
  readonly key: string;
}

export function writeKnownHosts(file: string, lines: readonly KnownHostLine[]): void {
  fs.writeFileSync(file, lines.map((l) => `${l.names.map((n) => sshName(n, l.port)).join(',')} ${l.key}\n`).join(''));
}

/** The key blob for address:port in a known_hosts file, for ssh2's hostVerifier. */
export function keyBlobLookup(file: string): (address: string, port: number) => Buffer | undefined {
  const keys = readHostKeys(file);
  return (address, port) => {
    const line = keys.get(sshName(address, port));
    return line === undefined ? undefined : Buffer.from(line.split(' ')[1] ?? '', 'base64');
  };
}
