import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'cassandra-driver';
import { cassandraJarsReady, cassandraLibDir, cassandraVersion, fileSize, findCassandraDaemon, findJava, logTail, spawnCassandra } from './cassandra-jvm';
import { cassandraConfDir, stackPaths } from './paths';
import { type ComponentStatus, StackError } from './stack-error';
import { assertPortFree, isPortOpen } from './ports';
import { isAlive, stopProcess, waitFor } from './process-control';
import { requireCommand } from './system-commands';

/**
 * A single Apache Cassandra node on loopback, launched as cassandra-jvm.ts describes, with
 * tools/stack/cassandra/cassandra.yaml as it is.
 */
export { cassandraVersion };
export const cassandraHost = '127.0.0.1';
export const cassandraCqlPort = 9042;
export const cassandraStoragePort = 7000;
export const cassandraContactPoint = `${cassandraHost}:${cassandraCqlPort}`;
/** SimpleSnitch always names its one data center this; drivers need it as localDataCenter. */
export const cassandraDataCenter = 'datacenter1';

const startTimeoutMs = 180_000;
const stopGraceMs = 30_000;

// Absolute, because they end up in JVM flags and in /proc/<pid>/cmdline, which ourPid() matches.
const dir = path.resolve(stackPaths.cassandraDir);
const logsDir = path.join(dir, 'logs');
const pidFile = path.join(dir, 'cassandra.pid');
const stdoutLog = path.join(logsDir, 'stdout.log');
const systemLog = path.join(logsDir, 'system.log');

/** Our daemon's pid: from the pid file, or found in /proc when the pid file went missing. */
function ourPid(): number | undefined {
  return findCassandraDaemon(pidFile, dir);
}

/** Fetches Cassandra and its runtime jars once; the copy lands in a scratch dir and is renamed into place. */
async function fetchJars(log: (line: string) => void): Promise<void> {
  if (cassandraJarsReady()) return;
  const mvn = requireCommand('mvn', 'maven');
  const scratch = `${cassandraLibDir}.partial-${process.pid}`;
  fs.rmSync(scratch, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(cassandraLibDir), { recursive: true });
  log(`cassandra: fetching Cassandra ${cassandraVersion} jars from Maven Central into ${cassandraLibDir} (once; about a minute)`);
  const started = Date.now();
  const output: string[] = [];
  const child = spawn(
    mvn,
    [
      '-B',
      '-q',
      '-f',
      path.join(cassandraConfDir, 'pom.xml'),
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${scratch}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.on('data', (b: Buffer) => output.push(b.toString()));
  child.stderr.on('data', (b: Buffer) => output.push(b.toString()));
  const ticker = setInterval(() => log(`cassandra:   still fetching jars... ${Math.round((Date.now() - started) / 1000)} s`), 10_000);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  }).finally(() => clearInterval(ticker));
  if (code !== 0) {
    fs.rmSync(scratch, { recursive: true, force: true });
    const out = output.join('').trimEnd().split('\n').slice(-30).join('\n');
    throw new StackError(`fetching the Cassandra jars with Maven failed (exit ${code}); is Maven Central reachable?\n${out}`);
  }
  fs.rmSync(cassandraLibDir, { recursive: true, force: true });
  fs.renameSync(scratch, cassandraLibDir);
  if (!cassandraJarsReady()) throw new StackError(`Maven finished but ${cassandraLibDir} lacks cassandra-all-${cassandraVersion}.jar or jamm: check ${cassandraConfDir}/pom.xml`);
  log(`cassandra: jars fetched in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** Runs `SELECT release_version FROM system.local`; undefined while the node cannot answer yet. */
async function queryVersion(): Promise<string | undefined> {
  const client = new Client({
    contactPoints: [cassandraContactPoint],
    localDataCenter: cassandraDataCenter,
    socketOptions: { connectTimeout: 3_000, readTimeout: 5_000 },
  });
  try {
    await client.connect();
    const rs = await client.execute('SELECT release_version FROM system.local');
    const version: unknown = rs.first()?.get('release_version');
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  } finally {
    await client.shutdown().catch(() => undefined);
  }
}

async function cqlVersionIfUp(): Promise<string | undefined> {
  return (await isPortOpen(cassandraHost, cassandraCqlPort)) ? queryVersion() : undefined;
}

/** Waits until CQL answers; fails fast, with the log's tail, if the JVM dies first. */
async function waitForCql(
  pid: number,
  log: (line: string) => void,
  logStart: { system: number; stdout: number } = { system: 0, stdout: 0 },
): Promise<string> {
  const started = Date.now();
  let nextReport = started + 10_000;
  let version: string | undefined;
  await waitFor(
    `Cassandra CQL on ${cassandraContactPoint} (logs: ${logsDir})`,
    async () => {
      if (!isAlive(pid)) {
        const system = logTail(systemLog, 30, logStart.system);
        const out = logTail(stdoutLog, 15, logStart.stdout);
        throw new StackError(
          `Cassandra (pid ${pid}) exited during start. Last lines of ${systemLog}:\n${system || '(nothing logged)'}` +
            (out ? `\nLast lines of ${stdoutLog} (JVM output):\n${out}` : ''),
        );
      }
      version = await cqlVersionIfUp();
      return version !== undefined;
    },
    {
      timeoutMs: startTimeoutMs,
      intervalMs: 500,
      onTick: () => {
        if (Date.now() >= nextReport) {
          nextReport += 10_000;
          log(`cassandra:   starting... ${Math.round((Date.now() - started) / 1000)} s`);
        }
      },
    },
  );
  return version ?? 'unknown';
}

export async function cassandraUp({ log }: { log: (line: string) => void }): Promise<{ contactPoint: string; version: string }> {
  const running = ourPid();
  if (running !== undefined) {
    const version = await cqlVersionIfUp();
    if (version !== undefined) {
      log(`cassandra: already running on ${cassandraContactPoint} (${version}, pid ${running})`);
      return { contactPoint: cassandraContactPoint, version };
    }
    // Ours, but not answering yet: probably still starting from an earlier call.
    log(`cassandra: pid ${running} is starting; waiting for CQL on ${cassandraContactPoint}`);
    return { contactPoint: cassandraContactPoint, version: await waitForCql(running, log) };
  }

  findJava(); // before a minute of fetching jars
  await assertPortFree(cassandraHost, cassandraCqlPort, 'Cassandra CQL');
  await assertPortFree(cassandraHost, cassandraStoragePort, 'Cassandra storage/gossip');
  await fetchJars(log);

  const logStart = { system: fileSize(systemLog), stdout: fileSize(stdoutLog) };
  const started = Date.now();
  const pid = await spawnCassandra({ storageDir: dir, logsDir, configFile: path.join(cassandraConfDir, 'cassandra.yaml') }, { stdoutLog, pidFile });
  log(`cassandra: starting ${cassandraVersion} (pid ${pid}, data ${dir}, log ${systemLog})`);

  const version = await waitForCql(pid, log, logStart);
  log(`cassandra: ${version} answers CQL on ${cassandraContactPoint} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { contactPoint: cassandraContactPoint, version };
}

export async function cassandraDown(): Promise<void> {
  const pid = ourPid();
  // SIGTERM makes Cassandra drain (flush memtables) before exiting, which keeps the next start quick.
  await stopProcess(pid, { graceMs: stopGraceMs });
  fs.rmSync(pidFile, { force: true });
  if (pid !== undefined) {
    await waitFor(
      `ports ${cassandraCqlPort} and ${cassandraStoragePort} to close`,
      async () => !(await isPortOpen(cassandraHost, cassandraCqlPort)) && !(await isPortOpen(cassandraHost, cassandraStoragePort)),
      { timeoutMs: 5_000, intervalMs: 100 },
    );
  }
}

export async function cassandraStatus(): Promise<ComponentStatus> {
  const pid = ourPid();
  if (pid === undefined) return { name: 'cassandra', running: false, detail: 'stopped' };
  const cql = await isPortOpen(cassandraHost, cassandraCqlPort);
  return {
    name: 'cassandra',
    running: true,
    detail: `${cql ? `CQL ${cassandraContactPoint}` : `starting (CQL ${cassandraContactPoint} not answering yet)`}, dc ${cassandraDataCenter}, pid ${pid}, data ${dir}`,
  };
}
