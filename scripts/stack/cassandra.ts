import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'cassandra-driver';
import { repoRoot, stackPaths } from './paths';
import { ComponentStatus, StackError, assertPortFree, isAlive, isPortOpen, readPid, requireCommand, stopProcess, waitFor, which } from './proc';

/**
 * A single Apache Cassandra node on loopback, run straight from the jars Maven Central publishes
 * (no tarball, no Docker): `java -cp .cache/cassandra/lib/* org.apache.cassandra.service.CassandraDaemon`
 * with our own cassandra.yaml, logback.xml and Java 17 flags from scripts/cassandra/.
 */
export const cassandraVersion = '5.0.9';
export const cassandraHost = '127.0.0.1';
export const cassandraCqlPort = 9042;
export const cassandraStoragePort = 7000;
export const cassandraContactPoint = `${cassandraHost}:${cassandraCqlPort}`;
/** SimpleSnitch always names its one data center this; drivers need it as localDataCenter. */
export const cassandraDataCenter = 'datacenter1';

/** Cassandra 5.0 runs on Java 11 or 17 only; the default Debian 12 JDK is 17. */
const javaCandidates = ['/usr/lib/jvm/java-17-openjdk-amd64/bin/java', '/usr/lib/jvm/java-17-openjdk-arm64/bin/java'];
const startTimeoutMs = 180_000;
const stopGraceMs = 30_000;

const confDir = path.join(repoRoot, 'scripts', 'cassandra');
// Absolute, because they end up in JVM flags and in /proc/<pid>/cmdline, which ourPid() matches.
const dir = path.resolve(stackPaths.cassandraDir);
const libDir = path.resolve(stackPaths.cassandraLib);
const logsDir = path.join(dir, 'logs');
const pidFile = path.join(dir, 'cassandra.pid');
const stdoutLog = path.join(logsDir, 'stdout.log');
const systemLog = path.join(logsDir, 'system.log');

function findJava(): string {
  const java = javaCandidates.find((candidate) => {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  if (!java) {
    throw new StackError(
      "Java 17 is not installed (Cassandra 5.0 runs on Java 11/17 only, not newer): run 'apt-get install -y openjdk-17-jre-headless'",
    );
  }
  return java;
}

/** True when `pid` is a CassandraDaemon using our state dir (guards against pid reuse). */
function isOurDaemon(pid: number | undefined): pid is number {
  if (!isAlive(pid)) return false;
  try {
    const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return args.includes('org.apache.cassandra.service.CassandraDaemon') && args.includes(`-Dcassandra.storagedir=${dir}`);
  } catch {
    return false;
  }
}

/** Our daemon's pid: from the pid file, or found in /proc when the pid file went missing. */
function ourPid(): number | undefined {
  const fromFile = readPid(pidFile);
  if (isOurDaemon(fromFile)) return fromFile;
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (Number.isInteger(pid) && pid > 0 && isOurDaemon(pid)) return pid;
  }
  return undefined;
}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** The last `lines` lines written to `file` after byte offset `from` (logs are appended across starts). */
function tail(file: string, lines: number, from = 0): string {
  try {
    const text = fs.readFileSync(file).subarray(from).toString('utf8').trimEnd();
    return text ? text.split('\n').slice(-lines).join('\n') : '';
  } catch {
    return '';
  }
}

function jarsReady(): boolean {
  return fs.existsSync(path.join(libDir, `cassandra-all-${cassandraVersion}.jar`)) && findJamm() !== undefined;
}

function findJamm(): string | undefined {
  try {
    const jar = fs.readdirSync(libDir).find((f) => /^jamm-.*\.jar$/.test(f));
    return jar && path.join(libDir, jar);
  } catch {
    return undefined;
  }
}

/** Fetches Cassandra and its runtime jars once; the copy lands in a scratch dir and is renamed into place. */
async function fetchJars(log: (line: string) => void): Promise<void> {
  if (jarsReady()) return;
  const mvn = requireCommand('mvn', 'maven');
  const scratch = `${libDir}.partial-${process.pid}`;
  fs.rmSync(scratch, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(libDir), { recursive: true });
  log(`cassandra: fetching Cassandra ${cassandraVersion} jars from Maven Central into ${libDir} (once; about a minute)`);
  const started = Date.now();
  const output: string[] = [];
  const child = spawn(
    mvn,
    [
      '-B',
      '-q',
      '-f',
      path.join(confDir, 'pom.xml'),
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
  fs.rmSync(libDir, { recursive: true, force: true });
  fs.renameSync(scratch, libDir);
  if (!jarsReady()) throw new StackError(`Maven finished but ${libDir} lacks cassandra-all-${cassandraVersion}.jar or jamm: check ${confDir}/pom.xml`);
  log(`cassandra: jars fetched in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** JVM flags: the static ones from scripts/cassandra/jvm17.options, then those that name our paths. */
function jvmArgs(): string[] {
  const staticFlags = fs
    .readFileSync(path.join(confDir, 'jvm17.options'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('-'));
  return [
    ...staticFlags,
    `-javaagent:${findJamm()}`,
    `-Dcassandra.config=file://${path.join(confDir, 'cassandra.yaml')}`,
    `-Dlogback.configurationFile=${path.join(confDir, 'logback.xml')}`,
    `-Dcassandra.storagedir=${dir}`,
    `-Dcassandra.logdir=${logsDir}`,
    `-Dcassandra.triggers_dir=${path.join(dir, 'triggers')}`,
    `-XX:HeapDumpPath=${dir}`,
    `-XX:ErrorFile=${path.join(logsDir, 'hs_err_pid%p.log')}`,
    '-cp',
    `${libDir}/*`,
    'org.apache.cassandra.service.CassandraDaemon',
  ];
}

/**
 * Cassandra calls mlockall(MCL_CURRENT) at boot, unconditionally. As root that always succeeds and
 * faults in and pins the whole committed heap and every mapped jar (~950 MB resident instead of ~520 MB,
 * and 1-3 s of start-up).
 * A development node gains nothing from that, so when we are root we exec java through setpriv with
 * CAP_IPC_LOCK dropped from the bounding set: mlockall then fails on RLIMIT_MEMLOCK (8 MiB by default)
 * and Cassandra only logs a warning ("Unable to lock JVM memory"). Without setpriv (or when not root) java runs as is.
 */
function noMemlockPrefix(): string[] {
  if (process.getuid?.() !== 0) return [];
  const setpriv = which('setpriv');
  return setpriv ? [setpriv, '--bounding-set=-ipc_lock', '--'] : [];
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
        const system = tail(systemLog, 30, logStart.system);
        const out = tail(stdoutLog, 15, logStart.stdout);
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

  const java = findJava();
  await assertPortFree(cassandraHost, cassandraCqlPort, 'Cassandra CQL');
  await assertPortFree(cassandraHost, cassandraStoragePort, 'Cassandra storage/gossip');
  await fetchJars(log);

  for (const sub of [dir, logsDir, path.join(dir, 'triggers')]) fs.mkdirSync(sub, { recursive: true });
  const logStart = { system: sizeOf(systemLog), stdout: sizeOf(stdoutLog) };
  const out = fs.openSync(stdoutLog, 'a');
  const started = Date.now();
  let child: ChildProcess;
  try {
    const [cmd, ...args] = [...noMemlockPrefix(), java, ...jvmArgs()] as [string, ...string[]];
    child = spawn(cmd, args, { cwd: dir, detached: true, stdio: ['ignore', out, out] });
  } finally {
    fs.closeSync(out);
  }
  const spawnError = new Promise<never>((_, reject) => child.once('error', (e) => reject(new StackError(`cannot start ${java}: ${e.message}`))));
  child.unref();
  if (child.pid === undefined) await spawnError;
  const pid = child.pid as number;
  fs.writeFileSync(pidFile, `${pid}\n`);
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
