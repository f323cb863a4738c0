/**
 * How a Cassandra node is launched, the single node (cassandra.ts) and each node of the ring
 * (cassandra-cluster.ts) alike: straight from the jars Maven Central publishes (no tarball, no
 * Docker), `java -cp .cache/cassandra/lib/* org.apache.cassandra.service.CassandraDaemon`, with
 * the Java 17 flags, logback.xml and cassandra.yaml of tools/stack/cassandra/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cassandraConfDir, stackPaths } from './paths';
import { isAlive, readPid } from './process-control';
import { StackError } from './stack-error';
import { which } from './system-commands';

export const cassandraVersion = '5.0.9';
export const cassandraDaemonClass = 'org.apache.cassandra.service.CassandraDaemon';
/** Absolute: it ends up in JVM flags. */
export const cassandraLibDir = path.resolve(stackPaths.cassandraLib);

/** Cassandra 5.0 runs on Java 11 or 17 only; the default Debian 12 JDK is 17. */
const javaCandidates = ['/usr/lib/jvm/java-17-openjdk-amd64/bin/java', '/usr/lib/jvm/java-17-openjdk-arm64/bin/java'];

export function findJava(): string {
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

/** The jamm agent jar in the lib dir, once the jars are there. */
export function findJamm(): string | undefined {
  try {
    const jar = fs.readdirSync(cassandraLibDir).find((f) => /^jamm-.*\.jar$/.test(f));
    return jar && path.join(cassandraLibDir, jar);
  } catch {
    return undefined;
  }
}

export function cassandraJarsReady(): boolean {
  return fs.existsSync(path.join(cassandraLibDir, `cassandra-all-${cassandraVersion}.jar`)) && findJamm() !== undefined;
}

/** Where one node keeps its data and logs, and which cassandra.yaml it reads. */
export interface CassandraNodeLayout {
  /** Absolute, because it is matched in /proc/<pid>/cmdline to find the node's daemon. */
  readonly storageDir: string;
  readonly logsDir: string;
  readonly configFile: string;
  /** Replaces the -Xms/-Xmx of jvm17.options. */
  readonly heap?: { readonly initial: string; readonly max: string };
}

/** JVM flags: the static ones from jvm17.options (heap replaced when the node has its own), then those that name the node's paths. */
function jvmArgs(node: CassandraNodeLayout): string[] {
  const staticFlags = fs
    .readFileSync(path.join(cassandraConfDir, 'jvm17.options'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('-') && !(node.heap && /^-Xm[sx]/.test(line)));
  const jamm = findJamm();
  if (!jamm || !cassandraJarsReady()) throw new StackError(`the Cassandra ${cassandraVersion} jars are not in ${cassandraLibDir} yet: run 'npm run stack -- up' first`);
  return [
    ...(node.heap ? [`-Xms${node.heap.initial}`, `-Xmx${node.heap.max}`] : []),
    ...staticFlags,
    `-javaagent:${jamm}`,
    `-Dcassandra.config=file://${node.configFile}`,
    `-Dlogback.configurationFile=${path.join(cassandraConfDir, 'logback.xml')}`,
    `-Dcassandra.storagedir=${node.storageDir}`,
    `-Dcassandra.logdir=${node.logsDir}`,
    `-Dcassandra.triggers_dir=${path.join(node.storageDir, 'triggers')}`,
    `-XX:HeapDumpPath=${node.storageDir}`,
    `-XX:ErrorFile=${path.join(node.logsDir, 'hs_err_pid%p.log')}`,
    '-cp',
    `${cassandraLibDir}/*`,
    cassandraDaemonClass,
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

/**
 * Starts a node's JVM in its own session (it outlives this process), output appended to
 * `stdoutLog`, and records its pid in `pidFile`. Returns without waiting for CQL.
 */
export async function spawnCassandra(node: CassandraNodeLayout, { stdoutLog, pidFile }: { stdoutLog: string; pidFile: string }): Promise<number> {
  const java = findJava();
  for (const sub of [node.storageDir, node.logsDir, path.join(node.storageDir, 'triggers')]) fs.mkdirSync(sub, { recursive: true });
  const out = fs.openSync(stdoutLog, 'a');
  let child: ChildProcess;
  try {
    const [cmd, ...args] = [...noMemlockPrefix(), java, ...jvmArgs(node)] as [string, ...string[]];
    child = spawn(cmd, args, { cwd: node.storageDir, detached: true, stdio: ['ignore', out, out] });
  } finally {
    fs.closeSync(out);
  }
  const spawnError = new Promise<never>((_, reject) => child.once('error', (e) => reject(new StackError(`cannot start ${java}: ${e.message}`))));
  child.unref();
  if (child.pid === undefined) await spawnError;
  const pid = child.pid as number;
  fs.writeFileSync(pidFile, `${pid}\n`);
  return pid;
}

/** True when `pid` is a CassandraDaemon using `storageDir` (guards against pid reuse). */
function isCassandraDaemon(pid: number | undefined, storageDir: string): pid is number {
  if (!isAlive(pid)) return false;
  try {
    const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return args.includes(cassandraDaemonClass) && args.includes(`-Dcassandra.storagedir=${storageDir}`);
  } catch {
    return false;
  }
}

/** The daemon of the node at `storageDir`: from its pid file, or found in /proc when the pid file went missing. */
export function findCassandraDaemon(pidFile: string, storageDir: string): number | undefined {
  const fromFile = readPid(pidFile);
  if (isCassandraDaemon(fromFile, storageDir)) return fromFile;
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (Number.isInteger(pid) && pid > 0 && isCassandraDaemon(pid, storageDir)) return pid;
  }
  return undefined;
}

export function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** The last `lines` lines written to `file` after byte offset `from` (logs are appended across starts). */
export function logTail(file: string, lines: number, from = 0): string {
  try {
    const text = fs.readFileSync(file).subarray(from).toString('utf8').trimEnd();
    return text ? text.split('\n').slice(-lines).join('\n') : '';
  } catch {
    return '';
  }
}
