import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { stackPaths } from './paths';
import { redisTlsDown, redisTlsPaths, redisTlsStatus } from './redis-tls';
import { type ComponentStatus, StackError } from './stack-error';
import { assertPortFree, isPortOpen } from './ports';
import { isAlive, readPid, stopProcess, waitFor } from './process-control';
import { requireCommand } from './system-commands';
import { closeAll } from '@simplecm/kernel';

/** The stack's Redis listens here, never on 6379, so it cannot collide with a system Redis. */
export const redisPort = 6380;
export const redisHost = '127.0.0.1';
export const redisUrl = `redis://${redisHost}:${redisPort}`;

const pidFile = path.join(stackPaths.redisDir, 'redis.pid');
const logFile = path.join(stackPaths.redisDir, 'redis.log');

function redisConfig(): string {
  // AOF with fsync every second: a killed redis-server loses at most a second of queue state,
  // which the fault tests rely on. noeviction because BullMQ must never have keys evicted.
  return [
    `bind ${redisHost}`,
    `port ${redisPort}`,
    'protected-mode yes',
    'daemonize no',
    `dir ${stackPaths.redisDir}`,
    `pidfile ${pidFile}`,
    `logfile ${logFile}`,
    'appendonly yes',
    'appendfsync everysec',
    'save ""',
    'maxmemory-policy noeviction',
    '',
  ].join('\n');
}

export async function redisUp({ log }: { log: (line: string) => void }): Promise<{ url: string }> {
  if (isAlive(readPid(pidFile)) && (await isPortOpen(redisHost, redisPort))) {
    log(`redis: already running on ${redisHost}:${redisPort}`);
    return { url: redisUrl };
  }
  const server = requireCommand('redis-server', 'redis-server');
  await assertPortFree(redisHost, redisPort, 'Redis');
  fs.mkdirSync(stackPaths.redisDir, { recursive: true });
  const confFile = path.join(stackPaths.redisDir, 'redis.conf');
  fs.writeFileSync(confFile, redisConfig());
  const child = spawn(server, [confFile], { detached: true, stdio: 'ignore' });
  child.unref();
  await waitFor(`redis-server on ${redisHost}:${redisPort} (log: ${logFile})`, async () => {
    if (child.exitCode !== null) {
      const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').split('\n').slice(-10).join('\n') : '';
      throw new StackError(`redis-server exited with ${child.exitCode}:\n${tail}`);
    }
    return isPortOpen(redisHost, redisPort);
  }, { timeoutMs: 15_000, intervalMs: 50 });
  log(`redis: started on ${redisHost}:${redisPort} (AOF everysec, data ${stackPaths.redisDir})`);
  return { url: redisUrl };
}

/**
 * Stops the stack's Redis and, unless `keepTls`, the TLS instance of `redis-tls.ts` too (which
 * `stack down` must stop; stack.ts only knows this function). A test that restarts the plain
 * Redis on purpose passes `{ keepTls: true }`.
 */
export async function redisDown({ keepTls = false }: { keepTls?: boolean } = {}): Promise<void> {
  try {
    // The TLS instance first, then the plain one (closeAll runs the list backwards).
    await closeAll([() => stopProcess(readPid(pidFile)), () => (keepTls ? undefined : redisTlsDown())]);
  } finally {
    fs.rmSync(pidFile, { force: true });
  }
}

export async function redisStatus(): Promise<ComponentStatus> {
  const pid = readPid(pidFile);
  const running = isAlive(pid) && (await isPortOpen(redisHost, redisPort));
  // The TLS instance rides on this row (stack.ts lists one redis component); shown once it was ever set up.
  const tls = fs.existsSync(redisTlsPaths.dir) ? await redisTlsStatus() : undefined;
  const tlsDetail = tls ? `; TLS: ${tls.running ? tls.detail : 'stopped'}` : '';
  return {
    name: 'redis',
    running,
    detail: `${running ? `${redisUrl} pid ${pid}, AOF everysec, data ${stackPaths.redisDir}` : 'stopped'}${tlsDetail}`,
  };
}
