/**
 * CPU used outside the measured client processes: the SSH hosts (each host's sshd and every
 * session, shell and script under it, reaped ones included through cutime/cstime), Cassandra
 * and Redis. On a machine where everything shares two cores this is most of the bill.
 */
import fs from 'node:fs';
import path from 'node:path';
import { stackPaths } from '@simplecm/stack';
import { clockTicks, processTree } from './proc-stats';
import { benchHostNumbers } from './bench-host-pool';

export interface InfraCpu {
  readonly hosts: number;
  readonly cassandra: number;
  readonly redis: number;
}

function statFields(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** utime + stime + cutime + cstime (seconds): the process and its reaped descendants. */
function cpuWithReaped(pid: number): number {
  const f = statFields(pid);
  return f ? (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / clockTicks() : 0;
}

/** A live tree's CPU, each process counted once: live ones directly, dead ones through their reaper. */
function treeCpu(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + cpuWithReaped(p), 0);
}

function readPidFile(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}



/** CPU so far of the first `hostCount` bench hosts, Cassandra and Redis. */
export function infraCpu(hostCount: number): InfraCpu {
  let hosts = 0;
  for (const n of benchHostNumbers(hostCount)) {
    const pid = readPidFile(path.join(stackPaths.hostsDir, `host${n}`, 'sshd.pid'));
    if (pid !== undefined) hosts += treeCpu(pid);
  }
  // The stack's own Cassandra (other Cassandras may run on this machine).
  const cassandraPid = readPidFile(path.join(stackPaths.cassandraDir, 'cassandra.pid'));
  const redisPid = readPidFile(path.join(stackPaths.redisDir, 'redis.pid'));
  return {
    hosts,
    cassandra: cassandraPid === undefined ? Number.NaN : cpuWithReaped(cassandraPid),
    redis: redisPid === undefined ? Number.NaN : cpuWithReaped(redisPid),
  };
}

export function infraDelta(before: InfraCpu, after: InfraCpu): InfraCpu {
  return { hosts: after.hosts - before.hosts, cassandra: after.cassandra - before.cassandra, redis: after.redis - before.redis };
}
