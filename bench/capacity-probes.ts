/**
 * What the capacity bench reads off the running engines: Redis' own counters (INFO), Cassandra's
 * per-table write counters (system_views), and the CPU time of any process (/proc/<pid>/stat).
 */
import fs from 'node:fs';
import { Client, policies } from 'cassandra-driver';
import { Redis } from 'ioredis';

const clockTicks = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used so far; 0 once it is gone. */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime field 15.
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return 0;
  }
}

/** CPU seconds of a process and all its descendants (tsx runs the real node process as a child). */
export function treeCpuSeconds(root: number | undefined): number {
  if (root === undefined) return 0;
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
    } catch {
      /* gone */
    }
  }
  let total = 0;
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    total += cpuSeconds(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

export interface RedisSample {
  /** calls per command name (`evalsha`, `bzpopmin`, …) from INFO commandstats; commands run by scripts included. */
  readonly calls: Record<string, number>;
  /** Commands clients sent (INFO stats total_commands_processed). */
  readonly commandsProcessed: number;
  /** CPU seconds of Redis' main thread (the one that runs commands). */
  readonly mainThreadCpu: number;
  readonly usedMemory: number;
}

function infoFields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf(':');
    if (at > 0) out[line.slice(0, at)] = line.slice(at + 1).trim();
  }
  return out;
}

/** One Redis node's counters (ask the master that holds the installation's hash tag). */
export async function sampleRedis(host: string, port: number): Promise<RedisSample> {
  const redis = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 3 });
  try {
    await redis.connect();
    const commandstats = infoFields(await redis.info('commandstats'));
    const calls: Record<string, number> = {};
    for (const [key, value] of Object.entries(commandstats)) {
      const m = /^cmdstat_(.+)$/.exec(key);
      const n = /calls=(\d+)/.exec(value);
      if (m?.[1] && n?.[1]) calls[m[1]] = Number(n[1]);
    }
    const stats = infoFields(await redis.info('stats'));
    const cpu = infoFields(await redis.info('cpu'));
    const memory = infoFields(await redis.info('memory'));
    return {
      calls,
      commandsProcessed: Number(stats.total_commands_processed),
      mainThreadCpu: Number(cpu.used_cpu_user_main_thread ?? cpu.used_cpu_user) + Number(cpu.used_cpu_sys_main_thread ?? cpu.used_cpu_sys),
      usedMemory: Number(memory.used_memory),
    };
  } finally {
    redis.disconnect();
  }
}

export function redisDelta(before: RedisSample, after: RedisSample) {
  const calls: Record<string, number> = {};
  for (const [name, n] of Object.entries(after.calls)) {
    const d = n - (before.calls[name] ?? 0);
    if (d > 0) calls[name] = d;
  }
  return {
    calls,
    allCalls: Object.values(calls).reduce((a, b) => a + b, 0),
    commandsProcessed: after.commandsProcessed - before.commandsProcessed,
    mainThreadCpu: after.mainThreadCpu - before.mainThreadCpu,
  };
}

export interface CassandraSample {
  /** Writes applied on replicas (system_views.local_write_latency counts, summed over nodes), by table. */
  readonly replicaWrites: Record<string, number>;
  /** Writes coordinated (system_views.coordinator_write_latency counts, summed over nodes), by table. */
  readonly coordinatorWrites: Record<string, number>;
}

/** Sums the keyspace's per-table write counters over every node (each asked directly). */
export async function sampleCassandra(contactPoints: readonly string[], localDataCenter: string, keyspace: string): Promise<CassandraSample> {
  const replicaWrites: Record<string, number> = {};
  const coordinatorWrites: Record<string, number> = {};
  for (const point of contactPoints) {
    const client = new Client({
      contactPoints: [point],
      localDataCenter,
      policies: { loadBalancing: new policies.loadBalancing.AllowListPolicy(new policies.loadBalancing.DCAwareRoundRobinPolicy(localDataCenter), [point]) },
    });
    try {
      await client.connect();
      for (const [view, into] of [
        ['local_write_latency', replicaWrites],
        ['coordinator_write_latency', coordinatorWrites],
      ] as const) {
        const rs = await client.execute(`SELECT table_name, count FROM system_views.${view} WHERE keyspace_name = ? ALLOW FILTERING`, [keyspace]);
        for (const row of rs.rows) into[String(row.get('table_name'))] = (into[String(row.get('table_name'))] ?? 0) + Number(row.get('count'));
      }
    } finally {
      await client.shutdown();
    }
  }
  return { replicaWrites, coordinatorWrites };
}

export function cassandraDelta(before: CassandraSample, after: CassandraSample) {
  const diff = (a: Record<string, number>, b: Record<string, number>) =>
    Object.fromEntries(Object.entries(b).map(([t, n]) => [t, n - (a[t] ?? 0)]).filter(([, n]) => (n as number) > 0)) as Record<string, number>;
  const replica = diff(before.replicaWrites, after.replicaWrites);
  const coordinator = diff(before.coordinatorWrites, after.coordinatorWrites);
  const sum = (r: Record<string, number>) => Object.values(r).reduce((x, y) => x + y, 0);
  return { replica, coordinator, replicaTotal: sum(replica), coordinatorTotal: sum(coordinator) };
}
