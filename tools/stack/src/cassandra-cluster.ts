/**
 * A real multi-node Cassandra ring on loopback, beside the stack's single node (127.0.0.1):
 * node N listens on 127.20.0.N (CQL 9042, storage/gossip 7000, no JMX), keeps everything under
 * `.stack/cassandra-cluster/nodeN/` and runs from the same Maven jars, JVM flags and logging as the
 * single node (tools/stack/cassandra/, launched by cassandra-jvm.ts), with a cassandra.yaml rendered per node from
 * tools/stack/cassandra/cassandra.yaml: its own addresses, every node a seed, one balanced token each,
 * hinted handoff on (a node that was down gets the writes it missed), cluster name
 * `SimpleCM-cluster` (so it can never gossip with the single node).
 *
 * Layout of `.stack/cassandra-cluster/nodeN/`: cassandra.yaml, cassandra.pid, logs/, and the
 * data/, commitlog/, hints/, saved_caches/ Cassandra creates. `down` keeps them, so the next `up`
 * restarts the same ring. JMX is off, so nodetool is not available: the ring is read over CQL
 * (system.local, system.peers_v2).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Client, policies } from 'cassandra-driver';
import { cassandraDataCenter } from './cassandra';
import { fileSize, findCassandraDaemon, findJava, logTail, spawnCassandra } from './cassandra-jvm';
import { cassandraConfDir as confDir, stateDir } from './paths';
import { type ComponentStatus, StackError } from './stack-error';
import { assertPortFree, isPortOpen } from './ports';
import { isAlive, stopProcess, waitFor } from './process-control';
import { errorMessage } from '@simplecm/kernel';

export const cassandraClusterCqlPort = 9042;
const storagePort = 7000;
/** The most nodes `--cassandra-nodes` starts (one /24 of loopback is plenty). */
export const maxCassandraClusterNodes = 9;
/** Heap of each node: three of them plus the single node fit next to everything else. */
const heap = { initial: '512m', max: '768m' };
const startTimeoutMs = 300_000;
const stopGraceMs = 30_000;

const clusterDir = path.resolve(stateDir, 'cassandra-cluster');

/** 127.20.0.N: clear of the single node (127.0.0.1) and the SSH hosts (127.10.x.y). */
export function cassandraNodeAddress(n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > maxCassandraClusterNodes) throw new RangeError(`Cassandra cluster node out of range: ${n}`);
  return `127.20.0.${n}`;
}

/** `address:9042` of nodes 1…count: what SIMPLECM_CASSANDRA_CONTACT_POINTS lists. */
export function cassandraClusterContactPoints(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${cassandraNodeAddress(i + 1)}:${cassandraClusterCqlPort}`);
}

/** The keyspace replication for a ring of `count` nodes: NetworkTopologyStrategy, up to 3 copies. */
export function cassandraClusterReplication(count: number): string {
  return `{'class': 'NetworkTopologyStrategy', '${cassandraDataCenter}': ${Math.min(3, count)}}`;
}

const nodeDir = (n: number) => path.join(clusterDir, `node${n}`);
const logsDir = (n: number) => path.join(nodeDir(n), 'logs');
const pidFile = (n: number) => path.join(nodeDir(n), 'cassandra.pid');
const yamlFile = (n: number) => path.join(nodeDir(n), 'cassandra.yaml');
const systemLog = (n: number) => path.join(logsDir(n), 'system.log');
const stdoutLog = (n: number) => path.join(logsDir(n), 'stdout.log');

/** Nodes that have a directory here, 1…N (what `status` and `down` look after). */
export function cassandraClusterNodeNumbers(): number[] {
  try {
    return fs
      .readdirSync(clusterDir)
      .map((name) => /^node(\d+)$/.exec(name)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  } catch {
    return [];
  }
}

/**
 * Evenly spaced Murmur3 tokens, one per node: with num_tokens 1 and no initial_token each node
 * would pick a random one and own an uneven share (it matters once the ring has more nodes than copies).
 */
function initialToken(n: number, count: number): string {
  const span = 2n ** 64n;
  return String(-(2n ** 63n) + (span / BigInt(count)) * BigInt(n - 1));
}

/**
 * The node's cassandra.yaml: the shared file with the top-level keys below replaced (or added)
 * and the seeds line rewritten. Fails if the shared file lost a key we rewrite.
 */
function renderYaml(n: number, count: number): string {
  const base = fs.readFileSync(path.join(confDir, 'cassandra.yaml'), 'utf8');
  const seeds = Array.from({ length: count }, (_, i) => `${cassandraNodeAddress(i + 1)}:${storagePort}`).join(',');
  const overrides: Record<string, string> = {
    cluster_name: 'SimpleCM-cluster',
    num_tokens: '1',
    initial_token: initialToken(n, count),
    listen_address: cassandraNodeAddress(n),
    rpc_address: cassandraNodeAddress(n),
    storage_port: String(storagePort),
    native_transport_port: String(cassandraClusterCqlPort),
    // A node that was down for up to 3 h gets the writes it missed replayed when it returns.
    hinted_handoff_enabled: 'true',
    max_hint_window: '3h',
  };
  const seen = new Set<string>();
  let seedsRewritten = false;
  const lines = base.split('\n').map((line) => {
    if (/^\s*-\s*seeds:/.test(line)) {
      seedsRewritten = true;
      return line.replace(/seeds:.*$/, `seeds: "${seeds}"`);
    }
    const key = /^([a-z_]+):/.exec(line)?.[1];
    if (key === undefined || !(key in overrides)) return line;
    seen.add(key);
    return `${key}: ${overrides[key]}`;
  });
  if (!seedsRewritten) throw new StackError(`${confDir}/cassandra.yaml has no "- seeds:" line to rewrite`);
  for (const required of ['cluster_name', 'listen_address', 'rpc_address']) {
    if (!seen.has(required)) throw new StackError(`${confDir}/cassandra.yaml has no top-level ${required}: to rewrite`);
  }
  const added = Object.entries(overrides).filter(([key]) => !seen.has(key));
  return [
    `# Rendered by tools/stack/src/cassandra-cluster.ts for node ${n} of ${count} from ${confDir}/cassandra.yaml; edit that file, not this one.`,
    ...lines,
    '',
    '# --- cluster node settings ------------------------------------------------------------------',
    ...added.map(([key, value]) => `${key}: ${value}`),
    '',
  ].join('\n');
}

/** Node n's pid: from its pid file, or found in /proc when the pid file went missing. */
export function cassandraNodePid(n: number): number | undefined {
  return findCassandraDaemon(pidFile(n), nodeDir(n));
}

/** A client that talks to node `n` only (the ring as that node sees it). */
function singleNodeClient(n: number): Client {
  const contactPoint = `${cassandraNodeAddress(n)}:${cassandraClusterCqlPort}`;
  return new Client({
    contactPoints: [contactPoint],
    localDataCenter: cassandraDataCenter,
    policies: { loadBalancing: new policies.loadBalancing.AllowListPolicy(new policies.loadBalancing.DCAwareRoundRobinPolicy(cassandraDataCenter), [contactPoint]) },
    socketOptions: { connectTimeout: 3_000, readTimeout: 5_000 },
  });
}

/** What node `n` says about itself and its peers; undefined while it cannot answer CQL. */
export async function cassandraNodeView(n: number): Promise<{ version: string; bootstrapped: string; peers: string[] } | undefined> {
  if (!(await isPortOpen(cassandraNodeAddress(n), cassandraClusterCqlPort))) return undefined;
  const client = singleNodeClient(n);
  try {
    await client.connect();
    const local = (await client.execute('SELECT release_version, bootstrapped FROM system.local')).first();
    // peers_v2 lists the peers this node knows that have joined the ring (not whether they are up now).
    const peers = (await client.execute('SELECT peer, native_address FROM system.peers_v2')).rows
      .filter((row) => row.get('native_address') !== null)
      .map((row) => String(row.get('peer')));
    return { version: String(local?.get('release_version')), bootstrapped: String(local?.get('bootstrapped')), peers: peers.sort() };
  } catch {
    return undefined;
  } finally {
    await client.shutdown().catch(() => undefined);
  }
}

/**
 * Starts node n (if it is not running) and returns without waiting for CQL. A node whose
 * directory is new renders its yaml for a ring of `count` nodes; an existing node keeps the ring
 * size it was created with.
 */
export async function startCassandraNode(n: number, count: number, log: (line: string) => void): Promise<{ pid: number; logStart: { system: number; stdout: number } }> {
  const running = cassandraNodePid(n);
  const logStart = { system: fileSize(systemLog(n)), stdout: fileSize(stdoutLog(n)) };
  if (running !== undefined) return { pid: running, logStart };
  findJava();
  const address = cassandraNodeAddress(n);
  await assertPortFree(address, cassandraClusterCqlPort, `Cassandra cluster node ${n} CQL`);
  await assertPortFree(address, storagePort, `Cassandra cluster node ${n} storage/gossip`);
  fs.mkdirSync(nodeDir(n), { recursive: true });
  fs.writeFileSync(yamlFile(n), renderYaml(n, count));
  const pid = await spawnCassandra({ storageDir: nodeDir(n), logsDir: logsDir(n), configFile: yamlFile(n), heap }, { stdoutLog: stdoutLog(n), pidFile: pidFile(n) });
  log(`cassandra-cluster: starting node ${n} on ${address} (pid ${pid}, heap ${heap.max}, log ${systemLog(n)})`);
  return { pid, logStart };
}

/** Waits until node n answers CQL; fails fast, with its log's tail, if its JVM dies first. */
async function waitForNodeCql(n: number, pid: number, logStart: { system: number; stdout: number }, log: (line: string) => void): Promise<void> {
  const started = Date.now();
  let nextReport = started + 15_000;
  await waitFor(
    `Cassandra cluster node ${n} CQL on ${cassandraNodeAddress(n)}:${cassandraClusterCqlPort} (logs: ${logsDir(n)})`,
    async () => {
      if (!isAlive(pid)) {
        const system = logTail(systemLog(n), 30, logStart.system);
        const out = logTail(stdoutLog(n), 15, logStart.stdout);
        throw new StackError(`Cassandra node ${n} (pid ${pid}) exited during start. Last lines of ${systemLog(n)}:\n${system || '(nothing logged)'}${out ? `\nJVM output:\n${out}` : ''}`);
      }
      return (await cassandraNodeView(n)) !== undefined;
    },
    {
      timeoutMs: startTimeoutMs,
      intervalMs: 1_000,
      onTick: () => {
        if (Date.now() >= nextReport) {
          nextReport += 15_000;
          log(`cassandra-cluster:   node ${n} starting... ${Math.round((Date.now() - started) / 1000)} s`);
        }
      },
    },
  );
}

/** Waits until every node of 1…count answers CQL, has bootstrapped, and lists all the others as peers. */
export async function waitForCassandraRing(count: number, timeoutMs = 120_000): Promise<void> {
  const nodes = Array.from({ length: count }, (_, i) => i + 1);
  let last = '';
  try {
    await waitFor(
      `a ring of ${count} Cassandra nodes`,
      async () => {
        for (const n of nodes) {
          const view = await cassandraNodeView(n);
          if (!view) return ((last = `node ${n} does not answer CQL`), false);
          if (view.bootstrapped !== 'COMPLETED') return ((last = `node ${n} is ${view.bootstrapped}`), false);
          const expected = nodes.filter((m) => m !== n).map(cassandraNodeAddress).sort();
          if (view.peers.join(',') !== expected.join(',')) return ((last = `node ${n} sees peers [${view.peers.join(', ')}]`), false);
        }
        return true;
      },
      { timeoutMs, intervalMs: 1_000 },
    );
  } catch (error) {
    throw new StackError(`${errorMessage(error)}: ${last}`);
  }
}

/**
 * Starts a ring of `count` nodes (all at once: every node is a seed with a fixed token, so none
 * bootstraps and none waits for another) and waits until each one sees all the others.
 */
export async function cassandraClusterUp({ nodes: count, log }: { nodes: number; log: (line: string) => void }): Promise<{ contactPoints: string[]; replication: string }> {
  if (!Number.isInteger(count) || count < 2 || count > maxCassandraClusterNodes) {
    throw new StackError(`a Cassandra cluster has 2 to ${maxCassandraClusterNodes} nodes, not ${count}`);
  }
  const existing = cassandraClusterNodeNumbers();
  if (existing.length > 0 && existing.length !== count) {
    throw new StackError(
      `${clusterDir} holds a ring of ${existing.length} nodes, not ${count}: use --cassandra-nodes ${existing.length}, or run 'npm run stack -- down' and remove ${clusterDir} to start a new ring`,
    );
  }
  const started = Date.now();
  const nodes = Array.from({ length: count }, (_, i) => i + 1);
  const alreadyUp = nodes.every((n) => cassandraNodePid(n) !== undefined);
  const starts = [];
  for (const n of nodes) starts.push({ n, ...(await startCassandraNode(n, count, log)) });
  await Promise.all(starts.map(({ n, pid, logStart }) => waitForNodeCql(n, pid, logStart, log)));
  await waitForCassandraRing(count);
  const contactPoints = cassandraClusterContactPoints(count);
  log(
    alreadyUp
      ? `cassandra-cluster: ring of ${count} already running on ${contactPoints.join(',')}`
      : `cassandra-cluster: ring of ${count} nodes up in ${((Date.now() - started) / 1000).toFixed(1)} s on ${contactPoints.join(',')}`,
  );
  return { contactPoints, replication: cassandraClusterReplication(count) };
}

/** Ends node n: SIGKILL (a crash, for fault tests) or SIGTERM (Cassandra drains, then exits). */
export async function stopCassandraNode(n: number, signal: 'SIGKILL' | 'SIGTERM' = 'SIGTERM'): Promise<void> {
  const pid = cassandraNodePid(n);
  if (pid === undefined) return;
  if (signal === 'SIGKILL') {
    process.kill(pid, 'SIGKILL');
    await waitFor(`Cassandra node ${n} (pid ${pid}) to die`, () => !isAlive(pid), { timeoutMs: 10_000, intervalMs: 50 });
  } else {
    await stopProcess(pid, { graceMs: stopGraceMs });
  }
  fs.rmSync(pidFile(n), { force: true });
}

/** Restarts a stopped node of an existing ring and waits until the whole ring sees it again. */
export async function restartCassandraNode(n: number, log: (line: string) => void = () => undefined): Promise<void> {
  const count = cassandraClusterNodeNumbers().length;
  const { pid, logStart } = await startCassandraNode(n, count, log);
  await waitForNodeCql(n, pid, logStart, log);
  await waitForCassandraRing(count);
  await waitForHintsDelivered(count);
}

/** Hint files the other nodes hold for nodes that were down (`system_views.pending_hints`, asked of each node); undefined when a node does not answer. */
async function pendingHintFiles(n: number): Promise<number | undefined> {
  const client = singleNodeClient(n);
  try {
    await client.connect();
    const rows = (await client.execute('SELECT files FROM system_views.pending_hints')).rows;
    return rows.reduce((sum, row) => sum + Number(row.get('files') ?? 0), 0);
  } catch {
    return undefined;
  } finally {
    await client.shutdown().catch(() => undefined);
  }
}

/**
 * Waits until no node holds hints for another. A node back from a kill receives the writes it
 * missed as hints; a table dropped on it while they arrive (a test dropping its keyspace right
 * after the restart) fails its schema stage with "Unknown CF" (Cassandra 5.0: the drop recycles
 * commit log segments that the arriving mutations keep dirty), and every later schema change on
 * that node fails the same way until it is restarted.
 */
export async function waitForHintsDelivered(count: number, timeoutMs = 120_000): Promise<void> {
  const nodes = Array.from({ length: count }, (_, i) => i + 1);
  let last = '';
  try {
    await waitFor(
      'hints delivered to the restarted node',
      async () => {
        for (const n of nodes) {
          const files = await pendingHintFiles(n);
          if (files === undefined) return ((last = `node ${n} does not answer CQL`), false);
          if (files > 0) return ((last = `node ${n} holds ${files} hint file(s)`), false);
        }
        return true;
      },
      { timeoutMs, intervalMs: 1_000 },
    );
  } catch (error) {
    throw new StackError(`${errorMessage(error)}: ${last}`);
  }
}

/** Stops every node of the ring (in parallel; each drains first). Keeps the data. */
export async function cassandraClusterDown(): Promise<void> {
  const results = await Promise.allSettled(cassandraClusterNodeNumbers().map((n) => stopCassandraNode(n, 'SIGTERM')));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** True once a ring was ever created here (then `status` lists it). */
export function cassandraClusterExists(): boolean {
  return cassandraClusterNodeNumbers().length > 0;
}

/** One status row per node: pid, CQL address, and the peers it sees. */
export async function cassandraClusterStatus(): Promise<ComponentStatus[]> {
  return Promise.all(
    cassandraClusterNodeNumbers().map(async (n): Promise<ComponentStatus> => {
      const name = `cassandra-node${n}`;
      const pid = cassandraNodePid(n);
      if (pid === undefined) return { name, running: false, detail: `stopped (data ${nodeDir(n)})` };
      const view = await cassandraNodeView(n);
      const where = `${cassandraNodeAddress(n)}:${cassandraClusterCqlPort}`;
      return {
        name,
        running: true,
        detail: view
          ? `CQL ${where}, ${view.version}, sees peers ${view.peers.join(',') || 'none'}, pid ${pid}, data ${nodeDir(n)}`
          : `starting (CQL ${where} not answering yet), pid ${pid}`,
      };
    }),
  );
}
