import path from 'node:path';
import { stackPaths } from '../paths';

/** One SSH test host of the stack, as the inventory lists it. */
export interface StackHost {
  hostname: string;
  address: string;
  port: number;
  user: string;
  keyName: string;
  groups: string[];
}

export const HOST_PORT = 22;
export const HOST_USER = 'root';
/** Name of the client key in `stackPaths.keysDir` that every host accepts for root. */
export const HOST_KEY_NAME = 'stack';

/** 127.10.0.1 … 127.10.0.250, 127.10.1.1 …: never .0 or .255 in the last octet. */
export function hostAddress(n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > 250 * 256) throw new RangeError(`host number out of range: ${n}`);
  return `127.10.${Math.floor((n - 1) / 250)}.${((n - 1) % 250) + 1}`;
}

export function hostName(n: number): string {
  return `host${n}`;
}

export function hostDir(n: number): string {
  return path.join(stackPaths.hostsDir, hostName(n));
}

function hostGroups(n: number): string[] {
  const groups = ['all', n % 2 === 1 ? 'odd' : 'even'];
  if (n <= 4) groups.push('web');
  if (n === 5) groups.push('db');
  return groups;
}

export function stackHost(n: number): StackHost {
  return {
    hostname: hostName(n),
    address: hostAddress(n),
    port: HOST_PORT,
    user: HOST_USER,
    keyName: HOST_KEY_NAME,
    groups: hostGroups(n),
  };
}
