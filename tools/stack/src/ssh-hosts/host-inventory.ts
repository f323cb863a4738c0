import fs from 'node:fs';
import { formatKnownHostsLine } from '@simplecm/ssh';
import { replaceFile } from '../file-writes';
import { stackPaths } from '../paths';
import { hostPublicKey } from './host-keys';
import { type StackHost, stackHost } from './stack-host';

// What the running hosts are for SimpleCM: .stack/inventory.json and .stack/ssh/known_hosts.

export function writeInventoryFiles(count: number): StackHost[] {
  const hosts = Array.from({ length: count }, (_, i) => stackHost(i + 1));
  fs.mkdirSync(stackPaths.sshDir, { recursive: true });
  const knownHosts = hosts.map((h, i) => formatKnownHostsLine([h.hostname, h.address], h.port, hostPublicKey(i + 1))).join('');
  replaceFile(stackPaths.knownHosts, knownHosts);
  replaceFile(stackPaths.inventory, `${JSON.stringify({ hosts }, null, 2)}\n`);
  return hosts;
}

export function readInventoryCount(): number {
  try {
    const inv = JSON.parse(fs.readFileSync(stackPaths.inventory, 'utf8')) as { hosts?: unknown[] };
    return Array.isArray(inv.hosts) ? inv.hosts.length : 0;
  } catch {
    return 0;
  }
}

/** Host numbers that have a directory under hostsDir. */
export function hostDirNumbers(): number[] {
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(stackPaths.hostsDir);
  } catch {
    return [];
  }
  return entries.map((e) => /^host(\d+)$/.exec(e)?.[1]).filter((x): x is string => x !== undefined).map(Number);
}
