/**
 * A real Redis Cluster on loopback: six Debian redis-server processes on 127.0.0.1:7101-7106
 * (cluster bus on 17101-17106), AOF on, joined by `redis-cli --cluster create … --cluster-replicas 1`
 * into three masters with one replica each. It runs beside the stack's single Redis (6380),
 * which it never touches.
 *
 * Layout of `.stack/redis-cluster/<port>/`: redis.conf, nodes.conf (the node's view of the
 * cluster, written by Redis), appendonlydir/, redis.pid, redis.log. `down` stops the processes
 * and keeps the directories, so the next `up` restarts the same cluster from nodes.conf + AOF.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { stateDir } from './paths';
import { type ComponentStatus, StackError } from './stack-error';
import { assertPortFree, isPortOpen } from './ports';
import { isAlive, readPid, stopProcess, waitFor } from './process-control';
import { requireCommand, run } from './system-commands';
import { errorMessage } from '@simplecm/kernel';

export const redisClusterHost = '127.0.0.1';
const firstPort = 7101;
const nodeCount = 6;
export const redisClusterPorts: readonly number[] = Array.from({ length: nodeCount }, (_, i) => firstPort + i);
/** `host:port` of every node: what SIMPLECM_REDIS_CLUSTER lists. */
export const redisClusterNodes: readonly string[] = redisClusterPorts.map((port) => `${redisClusterHost}:${port}`);
/** Milliseconds without an answer before a node is flagged failing; a replica is promoted a few seconds later. */
export const redisClusterNodeTimeoutMs = 3_000;

const clusterDir = path.join(stateDir, 'redis-cluster');
const busPort = (port: number) => port + 10_000;
const nodeDir = (port: number) => path.join(clusterDir, String(port));
const pidFile = (port: number) => path.join(nodeDir(port), 'redis.pid');
const logFile = (port: number) => path.join(nodeDir(port), 'redis.log');
const confFile = (port: number) => path.join(nodeDir(port), 'redis.conf');

function nodeConfig(port: number): string {
  return [
    `bind ${redisClusterHost}`,
    `port ${port}`,
    'protected-mode yes',
    'daemonize no',
    `dir ${nodeDir(port)}`,
    `pidfile ${pidFile(port)}`,
    `logfile ${logFile(port)}`,
    // Same durability as the single Redis: a killed node loses at most a second of its own writes;
    // its replica, fed asynchronously, can be a little behind that (see docs/scaling.md).
    'appendonly yes',
    'appendfsync everysec',
    'save ""',
    'maxmemory-policy noeviction',
    'cluster-enabled yes',
    'cluster-config-file nodes.conf',
    `cluster-node-timeout ${redisClusterNodeTimeoutMs}`,
    // A shard without a master (for the seconds of a failover) must not stop the other shards.
    'cluster-require-full-coverage no',
    '',
  ].join('\n');
}

/** One node as CLUSTER NODES describes it. */
export interface RedisClusterNode {
  readonly id: string;
  readonly port: number;
  readonly role: 'master' | 'replica';
  /** For a replica, the id of its master. */
  readonly masterId?: string;
  /** Flagged `fail` or `fail?` by the node we asked, or not connected to it. */
  readonly failing: boolean;
  /** Slot ranges this master serves, e.g. `0-5460`. */
  readonly slots: readonly string[];
}

function cli(port: number, ...args: string[]): string {
  return run(requireCommand('redis-cli', 'redis-server'), ['-h', redisClusterHost, '-p', String(port), ...args]);
}

function nodeRunning(port: number): boolean {
  return isAlive(readPid(pidFile(port)));
}

async function nodeAnswering(port: number): Promise<boolean> {
  if (!nodeRunning(port) || !(await isPortOpen(redisClusterHost, port))) return false;
  try {
    return cli(port, 'PING').trim() === 'PONG';
  } catch {
    return false;
  }
}

function clusterInfo(port: number): Record<string, string> {
  const info: Record<string, string> = {};
  for (const line of cli(port, 'CLUSTER', 'INFO').split('\n')) {
    const [key, value] = line.trim().split(':');
    if (key && value !== undefined) info[key] = value;
  }
  return info;
}

/** The cluster as `port` sees it. */
export function redisClusterTopology(port: number = firstPort): RedisClusterNode[] {
  return cli(port, 'CLUSTER', 'NODES')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      // <id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot> <slot> …
      const [id = '', address = '', flags = '', master = '-', , , , link = '', ...slots] = line.trim().split(' ');
      const flagList = flags.split(',');
      return {
        id,
        port: Number(address.split('@')[0]?.split(':')[1]),
        role: flagList.includes('master') ? 'master' : 'replica',
        ...(master !== '-' ? { masterId: master } : {}),
        failing: flagList.includes('fail') || flagList.includes('fail?') || link !== 'connected',
        slots,
      } satisfies RedisClusterNode;
    });
}

/** CLIENT LIST of every answering node, lines matching `filter` (name, command, idle time): to see who waits where. */
export function redisClusterClients(filter: RegExp): string {
  return redisClusterPorts
    .map((port) => {
      try {
        const lines = cli(port, 'CLIENT', 'LIST')
          .split('\n')
          .filter((line) => filter.test(line))
          .map((line) => line.split(' ').filter((f) => /^(addr|name|idle|cmd)=/.test(f)).join(' '));
        return `${port}: ${lines.length} matching\n  ${lines.join('\n  ')}`;
      } catch {
        return `${port}: not answering`;
      }
    })
    .join('\n');
}

/** The slot Redis Cluster puts `key` in. */
/** The hash slot of `key`, computed by `port` (any node that answers: the first one may be the master just killed). */
export function redisClusterKeySlot(key: string, port: number = firstPort): number {
  return Number(cli(port, 'CLUSTER', 'KEYSLOT', key).trim());
}

function servesSlot(node: RedisClusterNode, slot: number): boolean {
  return node.slots.some((range) => {
    if (range.startsWith('[')) return false; // a slot being migrated
    const [from = -1, to = from] = range.split('-').map(Number);
    return slot >= from && slot <= to;
  });
}

/** The port of the master that serves `key` now (asked of a running node). */
export async function redisClusterMasterFor(key: string): Promise<number> {
  const asker = await firstAnsweringPort();
  const slot = redisClusterKeySlot(key, asker);
  const master = redisClusterTopology(asker).find((n) => n.role === 'master' && !n.failing && servesSlot(n, slot));
  if (!master) throw new StackError(`no live master serves slot ${slot} (key ${key})`);
  return master.port;
}

async function firstAnsweringPort(): Promise<number> {
  for (const port of redisClusterPorts) if (await nodeAnswering(port)) return port;
  throw new StackError(`no Redis Cluster node answers on ${redisClusterHost}:${redisClusterPorts.join(',')}`);
}

/**
 * Stops (`hold` true) or allows again the automatic failover of the master on `masterPort`
 * (`cluster-replica-no-failover` on its replicas): with it held, a killed master leaves its slots
 * down until it is started again, for tests of an outage rather than of a failover.
 */
export function holdRedisClusterFailover(masterPort: number, hold: boolean): void {
  const nodes = redisClusterTopology(masterPort);
  const master = nodes.find((n) => n.port === masterPort);
  if (!master || master.role !== 'master') throw new StackError(`${redisClusterHost}:${masterPort} is not a master`);
  const replicas = nodes.filter((n) => n.masterId === master.id);
  if (replicas.length === 0) throw new StackError(`master ${masterPort} has no replica`);
  for (const replica of replicas) cli(replica.port, 'CONFIG', 'SET', 'cluster-replica-no-failover', hold ? 'yes' : 'no');
}

/** Starts one node from its existing (or a new) directory; returns once it answers PING. */
export async function startRedisClusterNode(port: number): Promise<void> {
  if (await nodeAnswering(port)) return;
  const server = requireCommand('redis-server', 'redis-server');
  await assertPortFree(redisClusterHost, port, 'Redis Cluster node');
  await assertPortFree(redisClusterHost, busPort(port), 'Redis Cluster bus');
  fs.mkdirSync(nodeDir(port), { recursive: true });
  fs.writeFileSync(confFile(port), nodeConfig(port));
  const child = spawn(server, [confFile(port)], { detached: true, stdio: 'ignore' });
  child.unref();
  await waitFor(
    `Redis Cluster node ${redisClusterHost}:${port} (log: ${logFile(port)})`,
    async () => {
      if (child.exitCode !== null) {
        const tail = fs.existsSync(logFile(port)) ? fs.readFileSync(logFile(port), 'utf8').split('\n').slice(-10).join('\n') : '';
        throw new StackError(`redis-server on ${port} exited with ${child.exitCode}:\n${tail}`);
      }
      return nodeAnswering(port);
    },
    { timeoutMs: 15_000, intervalMs: 50 },
  );
}

/** Ends one node: SIGKILL (a crash, for fault tests) or SIGTERM (a clean shutdown that fsyncs its AOF). */
export async function stopRedisClusterNode(port: number, signal: 'SIGKILL' | 'SIGTERM' = 'SIGTERM'): Promise<void> {
  const pid = readPid(pidFile(port));
  if (!isAlive(pid)) return;
  if (signal === 'SIGKILL') {
    process.kill(pid, 'SIGKILL');
    await waitFor(`redis-server ${port} (pid ${pid}) to die`, () => !isAlive(pid), { timeoutMs: 5_000, intervalMs: 20 });
  } else {
    await stopProcess(pid);
  }
  fs.rmSync(pidFile(port), { force: true });
}

/** Healthy: every node answers and agrees the state is ok, all slots are served, each master has a replica in sync. */
async function clusterHealth(): Promise<string | undefined> {
  for (const port of redisClusterPorts) {
    if (!(await nodeAnswering(port))) return `node ${port} does not answer`;
    const info = clusterInfo(port);
    if (info.cluster_state !== 'ok') return `node ${port} reports cluster_state:${info.cluster_state}`;
    if (info.cluster_known_nodes !== String(redisClusterPorts.length)) return `node ${port} knows ${info.cluster_known_nodes} nodes`;
    if (info.cluster_slots_ok !== '16384') return `node ${port} sees ${info.cluster_slots_ok}/16384 slots ok`;
  }
  const nodes = redisClusterTopology();
  const masters = nodes.filter((n) => n.role === 'master' && n.slots.length > 0);
  if (masters.length !== redisClusterPorts.length / 2) return `${masters.length} masters serve slots`;
  for (const master of masters) {
    const replicas = nodes.filter((n) => n.masterId === master.id && !n.failing);
    if (replicas.length === 0) return `master ${master.port} has no replica`;
    for (const replica of replicas) {
      const replication = cli(replica.port, 'INFO', 'replication');
      if (!/master_link_status:up/.test(replication)) return `replica ${replica.port} is not in sync with ${master.port}`;
    }
  }
  return undefined;
}

/** Waits until the cluster is healthy again (after a start or a failover). */
export async function waitForRedisClusterHealthy(timeoutMs = 60_000): Promise<void> {
  let last: string | undefined = 'not checked';
  try {
    await waitFor('the Redis Cluster to be healthy', async () => (last = await clusterHealth().catch((e: unknown) => String(e))) === undefined, {
      timeoutMs,
      intervalMs: 250,
    });
  } catch (error) {
    throw new StackError(`${errorMessage(error)}: ${last}`);
  }
}

/**
 * Gives the master role back to the nodes that were created masters (7101-7103) after a
 * failover made their replicas masters: `CLUSTER FAILOVER` on each, run on the node itself.
 */
export async function restoreRedisClusterMasters(): Promise<void> {
  const wanted = redisClusterPorts.slice(0, redisClusterPorts.length / 2);
  for (const port of wanted) {
    if (redisClusterTopology(port).find((n) => n.port === port)?.role === 'master') continue;
    await waitForRedisClusterHealthy();
    cli(port, 'CLUSTER', 'FAILOVER');
    await waitFor(`node ${port} to become master again`, () => redisClusterTopology(port).find((n) => n.port === port)?.role === 'master', {
      timeoutMs: 30_000,
      intervalMs: 200,
    });
  }
  await waitForRedisClusterHealthy();
}

export async function redisClusterUp({ log }: { log: (line: string) => void }): Promise<{ nodes: readonly string[] }> {
  requireCommand('redis-cli', 'redis-server');
  const started = Date.now();
  const wasRunning = (await Promise.all(redisClusterPorts.map(nodeAnswering))).every(Boolean);
  for (const port of redisClusterPorts) await startRedisClusterNode(port);
  // A node that never joined knows only itself and serves no slot.
  const fresh = redisClusterPorts.filter((port) => {
    const info = clusterInfo(port);
    return info.cluster_known_nodes === '1' && info.cluster_slots_assigned === '0';
  });
  if (fresh.length === redisClusterPorts.length) {
    log(`redis-cluster: creating 3 masters + 3 replicas on ${redisClusterNodes.join(' ')}`);
    run(requireCommand('redis-cli', 'redis-server'), ['--cluster', 'create', ...redisClusterNodes, '--cluster-replicas', '1', '--cluster-yes']);
  } else if (fresh.length > 0) {
    throw new StackError(
      `Redis Cluster nodes ${fresh.join(', ')} are new but the others already form a cluster: run 'npm run stack -- down' and remove ${clusterDir} to start over`,
    );
  }
  await waitForRedisClusterHealthy();
  const masters = redisClusterTopology().filter((n) => n.role === 'master').map((n) => n.port);
  log(
    wasRunning
      ? `redis-cluster: already running on ${redisClusterNodes.join(',')}`
      : `redis-cluster: up in ${((Date.now() - started) / 1000).toFixed(1)} s (masters ${masters.join(', ')}; AOF everysec; data ${clusterDir})`,
  );
  return { nodes: redisClusterNodes };
}

/** Stops every node (SIGTERM: Redis fsyncs its AOF); keeps the data so `up` restarts the same cluster. */
export async function redisClusterDown(): Promise<void> {
  await Promise.all(redisClusterPorts.map((port) => stopRedisClusterNode(port, 'SIGTERM')));
}

/** True once the cluster was ever created here (then `status` lists it). */
export function redisClusterExists(): boolean {
  return fs.existsSync(clusterDir);
}

export async function redisClusterStatus(): Promise<ComponentStatus> {
  const answering = (await Promise.all(redisClusterPorts.map(async (port) => ((await nodeAnswering(port)) ? port : undefined)))).filter(
    (p): p is number => p !== undefined,
  );
  if (answering.length === 0) return { name: 'redis-cluster', running: false, detail: `stopped (data ${clusterDir})` };
  const asker = answering[0] as number;
  const info = clusterInfo(asker);
  const nodes = redisClusterTopology(asker);
  const masters = nodes.filter((n) => n.role === 'master' && n.slots.length > 0 && !n.failing).map((n) => n.port);
  return {
    name: 'redis-cluster',
    running: answering.length === redisClusterPorts.length,
    detail: `${answering.length}/${redisClusterPorts.length} nodes on ${redisClusterHost}:${firstPort}-${firstPort + nodeCount - 1}, state ${info.cluster_state}, masters ${masters.join(',')}, AOF everysec`,
  };
}
