/**
 * Who listens on a TCP port, from /proc/net/tcp{,6} and the owners' file descriptors (no `ss`
 * needed): what tells a stale test host from a system sshd or another checkout's stack.
 */
import fs from 'node:fs';
import { readProc } from './proc-files';

/** LISTEN sockets on `port` from /proc/net/tcp: IPv4 address -> socket inode. */
export function tcpListeners(port: number): Map<string, string> {
  const listeners = new Map<string, string>();
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  const table = readProc('self', 'net/tcp') ?? '';
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    const local = f[1];
    if (f[3] !== '0A' || !local?.endsWith(`:${portHex}`)) continue;
    // The address is a 32-bit number printed in host (little-endian) byte order.
    const hex = local.slice(0, 8);
    const bytes = [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16));
    listeners.set(bytes.join('.'), f[9] ?? '');
  }
  return listeners;
}

/** Inode of a LISTEN socket on [::]:port, if any. */
export function tcp6WildcardListener(port: number): string | undefined {
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of (readProc('self', 'net/tcp6') ?? '').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[3] === '0A' && f[1] === `${'0'.repeat(32)}:${portHex}`) return f[9];
  }
  return undefined;
}

/** Pid of a process holding the socket with this inode. */
export function socketOwner(inode: string): number | undefined {
  const target = `socket:[${inode}]`;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (fs.readlinkSync(`/proc/${entry}/fd/${fd}`) === target) return Number(entry);
      } catch {
        /* fd closed meanwhile */
      }
    }
  }
  return undefined;
}
