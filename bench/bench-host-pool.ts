/**
 * The stack's SSH hosts as the bench uses them: brought up without stopping anyone's
 * (`atLeast`), and never hosts 1–5 — the integration tests use those and reset them
 * (resetHost) whenever they run, which would wipe a warm state or time out a connection in
 * the middle of a measurement. Bench host i is stack host BENCH_HOST_OFFSET + i.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Host } from '@simplecm/domain';
import { HOST_KEY_NAME, hostAddress, hostsUp, isPortOpen, redisHost, redisPort, stackPaths, stackUp } from '@simplecm/stack';

export const stackKeyFile = `${stackPaths.keysDir}/${HOST_KEY_NAME}`;
export const BENCH_HOST_OFFSET = 5;

/** The host key stack host n presents (to pin on every inventory host that points at it), from the stack's known_hosts. */
export function stackHostKey(n: number): string {
  const line = fs.readFileSync(stackPaths.knownHosts, 'utf8').split('\n').find((l) => l.startsWith(`host${n},`));
  if (!line) throw new Error(`host${n} is not in ${stackPaths.knownHosts}: run 'npm run stack -- up'`);
  return line.split(' ').slice(1, 3).join(' ');
}

/** Stack host numbers of the first `count` bench hosts. */
export function benchHostNumbers(count: number): number[] {
  return Array.from({ length: count }, (_, i) => BENCH_HOST_OFFSET + i + 1);
}

const quiet = (log: (line: string) => void) => (line: string) => (/already up|already running|schema applied/.test(line) ? undefined : log(line));

/** The pid of stack host `n`'s sshd (its PID 1) when it runs, from its pid file and /proc. */
export function hostSshdPid(n: number): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(stackPaths.hostsDir, `host${n}`, 'sshd.pid'), 'utf8').trim());
    const argv0 = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
    return pid > 0 && /(^|\/)sshd\b/.test(argv0) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the first n bench hosts run already (their sshd is alive). Then nothing is started:
 * a checkout whose `.stack` is another checkout's (a git worktree sharing one stack) cannot
 * start hosts there — the stack tells its own hosts by the path of its host-init.sh — but
 * can use them.
 */
function benchHostsRunning(n: number): boolean {
  return benchHostNumbers(n).every((k) => hostSshdPid(k) !== undefined);
}

/** Once, at the start: the whole stack, with at least n bench hosts (others' larger stacks stay). */
export async function ensureStack(n: number, log: (line: string) => void): Promise<void> {
  if (benchHostsRunning(n)) return waitForServices(log);
  await withHint(n, stackUp({ hosts: BENCH_HOST_OFFSET + n, atLeast: true, log: quiet(log) }));
}

/** A stack that is not this checkout's says so; the hint says what to do about it. */
async function withHint(n: number, starting: Promise<unknown>): Promise<void> {
  try {
    await starting;
  } catch (error) {
    if (!(error instanceof Error) || !/not by this stack/.test(error.message)) throw error;
    throw new Error(
      `bench hosts ${BENCH_HOST_OFFSET + 1}–${BENCH_HOST_OFFSET + n} are not all running and this checkout cannot start them: its .stack is another checkout's stack. ` +
        `Bring them up there (npm run stack -- up --hosts ${BENCH_HOST_OFFSET + n}) or run the bench there. (${error.message.split('\n')[0]})`,
      { cause: error },
    );
  }
}

/**
 * Before each measurement: the first n bench hosts run. Only the hosts — Redis and Cassandra
 * are left alone, because the fault tests stop and start them on purpose; `waitForServices`
 * waits for them instead.
 */
export async function ensureStackHosts(n: number, log: (line: string) => void): Promise<void> {
  if (benchHostsRunning(n)) return;
  await withHint(n, hostsUp({ count: BENCH_HOST_OFFSET + n, atLeast: true, log: quiet(log) }));
}

/** Waits (up to `timeoutMs`) until the stack's Redis and Cassandra accept connections again. */
export async function waitForServices(log: (line: string) => void, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let said = false;
  for (;;) {
    const [redis, cassandra] = await Promise.all([isPortOpen(redisHost, redisPort), isPortOpen('127.0.0.1', 9042)]);
    if (redis && cassandra) return;
    if (!said) log(`waiting for ${[redis ? '' : 'Redis', cassandra ? '' : 'Cassandra'].filter(Boolean).join(' and ')} (someone restarted it?)`);
    said = true;
    if (Date.now() > deadline) throw new Error('Redis or Cassandra stayed down');
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** Stack host `n` (a stack number, not a bench index) as an inventory host. */
export function stackHost(n: number, overrides: Partial<Host> = {}): Host {
  return { hostname: `host${n}`, address: hostAddress(n), port: 22, user: 'root', keyName: HOST_KEY_NAME, groups: ['all'], vars: {}, hostKeys: [], become: null, ...overrides };
}

/** The first `count` bench hosts; `overrides` gets each one's stack number. */
export function stackHosts(count: number, overrides: (n: number) => Partial<Host> = () => ({})): Host[] {
  return benchHostNumbers(count).map((n) => stackHost(n, overrides(n)));
}
