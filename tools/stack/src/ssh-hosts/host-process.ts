/**
 * Starting and stopping one host: `unshare` (mount, UTS and PID namespaces) runs host-init.sh,
 * which execs sshd as the host's PID 1. /proc is the truth, pid files are only a record for people.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileWithMode } from '../file-writes';
import { stackPaths } from '../paths';
import { isAlive, waitFor } from '../process-control';
import { StackError } from '../stack-error';
import { requireCommand } from '../system-commands';
import { prepareHost, wipeHost } from './host-overlay';
import { firstChild, readProc } from './proc-files';
import { HOST_PORT, hostAddress, hostDir, hostName } from './stack-host';

const HOST_INIT = path.join(__dirname, 'host-init.sh');

export interface HostProcess {
  readonly n: number;
  /** The `unshare` process in the machine's PID namespace; holds the mount namespace. */
  readonly unshare: number;
  /** Its child: host-init.sh, which execs sshd (PID 1 inside the host). */
  readonly sshd: number | undefined;
  /** unshare's command line: a reboot starts the host again with it. */
  readonly argv: readonly string[];
}

/** The real path of a file, or the path itself when it does not exist. */
function realPath(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return file;
  }
}

/**
 * Our hosts' unshare processes, found by their command line (a host-init.sh and a host dir of
 * this stack's hosts dir, compared by real path: a checkout whose `.stack` links to another's
 * finds the hosts that checkout started).
 */
export function hostProcesses(): Map<number, HostProcess> {
  const found = new Map<number, HostProcess>();
  const prefix = realPath(stackPaths.hostsDir) + path.sep + 'host';
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = readProc(entry, 'cmdline');
    if (!cmdline || !cmdline.includes(path.basename(HOST_INIT))) continue;
    const argv = cmdline.replace(/\0$/, '').split('\0');
    if (!argv[0]?.endsWith('unshare')) continue;
    const init = argv.findIndex((arg) => path.basename(arg) === path.basename(HOST_INIT));
    const dirArg = init < 0 ? undefined : argv[init + 1];
    if (!dirArg || !realPath(dirArg).startsWith(prefix)) continue;
    const n = Number(realPath(dirArg).slice(prefix.length));
    const pid = Number(entry);
    if (!Number.isInteger(n) || n < 1 || !isAlive(pid)) continue;
    const child = firstChild(pid);
    found.set(n, { n, unshare: pid, sshd: isAlive(child) ? child : undefined, argv });
  }
  return found;
}

export interface Tools {
  unshare: string;
  sshd: string;
}

export function requireTools(): Tools {
  if (process.getuid?.() !== 0) {
    throw new StackError('the test hosts need root (mount namespaces, overlayfs, port 22): run the stack as root');
  }
  if (/[\s,:\\#]/.test(stackPaths.hostsDir)) {
    // They would need escaping in fstab and in overlayfs' lowerdir/upperdir options.
    throw new StackError(`the hosts' directory ${stackPaths.hostsDir} contains a space, comma, colon, '#' or backslash: move the stack (SIMPLECM_STACK_DIR)`);
  }
  requireCommand('mount', 'mount');
  requireCommand('chroot', 'coreutils');
  return { unshare: requireCommand('unshare', 'util-linux'), sshd: requireCommand('sshd', 'openssh-server') };
}

function logTail(n: number): string {
  try {
    const text = fs.readFileSync(path.join(hostDir(n), 'sshd.log'), 'utf8').trim();
    return text.split('\n').slice(-5).join(' | ') || '(empty log)';
  } catch {
    return '(no log)';
  }
}

export async function startHost(n: number, clientPub: string, tools: Tools): Promise<void> {
  prepareHost(n, clientPub, tools.sshd);
  const argv = [
    tools.unshare,
    ...['--mount', '--uts', '--pid', '--fork', '--kill-child', '--propagation', 'private', '--'],
    ...['/bin/sh', HOST_INIT, hostDir(n), hostName(n), tools.sshd],
  ];
  await bootHost(n, argv, 'w');
}

/**
 * Starts host n with the unshare command line `argv` on the upper dir it has (prepareHost made
 * it) and waits until its sshd listens. `logFlags`: 'a' keeps the sshd log of an earlier boot
 * (a reboot), 'w' starts it afresh.
 */
export async function bootHost(n: number, argv: readonly string[], logFlags: 'a' | 'w'): Promise<void> {
  const dir = hostDir(n);
  const out = fs.openSync(path.join(dir, 'sshd.log'), logFlags);
  let child: ChildProcess;
  try {
    child = spawn(
      argv[0]!,
      argv.slice(1),
      // Its own session: the host outlives this process. A bare environment: sshd
      // builds each session's environment itself, nothing of ours should leak in.
      { detached: true, stdio: ['ignore', out, out], cwd: '/', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } },
    );
  } finally {
    fs.closeSync(out);
  }
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited ${code ?? signal}`));
  child.once('error', (err) => (exited = `failed to start: ${err.message}`));
  child.unref();
  const pid = child.pid!;
  const deadline = Date.now() + 30_000;
  let sshdPid: number | undefined;
  for (;;) {
    if (exited) throw new StackError(`${hostName(n)}: ${exited}: ${logTail(n)}`);
    sshdPid = firstChild(pid);
    if (sshdPid !== undefined && sshdListening(sshdPid, argv[argv.length - 1]!)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL'); // --kill-child takes the host down with it
      throw new StackError(`${hostName(n)}: sshd did not listen on ${hostAddress(n)}:${HOST_PORT} within 30 s: ${logTail(n)}`);
    }
    await new Promise((r) => setTimeout(r, 15));
  }
  writeFileWithMode(path.join(dir, 'unshare.pid'), `${pid}\n`, 0o644);
  writeFileWithMode(path.join(dir, 'sshd.pid'), `${sshdPid}\n`, 0o644);
}

/**
 * sshd writes its PidFile only after it has bound and listen()ed on every address,
 * i.e. once the kernel accepts TCP connections for it. Looking for that file through
 * /proc/<pid>/root (the host's root, in the host's mount namespace) costs nothing;
 * connecting would make sshd fork and re-exec for every probe, and polling
 * /proc/net/tcp costs ~10 ms of kernel time per read. The pid must already be sshd
 * (not host-init.sh or chroot), or its root is still the machine's, whose
 * /run/sshd.pid may be the system sshd's.
 */
function sshdListening(pid: number, sshd: string): boolean {
  const argv0 = (readProc(pid, 'cmdline') ?? '').split('\0')[0] ?? '';
  if (argv0 !== sshd && !argv0.startsWith('sshd:')) return false;
  return fs.existsSync(`/proc/${pid}/root/run/sshd.pid`);
}

function signal(pid: number | undefined, sig: NodeJS.Signals): void {
  try {
    if (isAlive(pid)) process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

/**
 * A power cut: SIGKILL to the host's PID 1 (the kernel kills every other process of its PID
 * namespace with it) and to unshare; resolves once unshare is gone, and with it the host's mount
 * namespace and overlay mount. The upper dir stays as it is.
 */
export async function killHost(p: HostProcess): Promise<void> {
  signal(p.sshd, 'SIGKILL');
  signal(p.unshare, 'SIGKILL');
  await waitFor(`host${p.n} to die`, () => !isAlive(p.unshare) && !isAlive(p.sshd), { timeoutMs: 5_000, intervalMs: 20 });
}

/**
 * sshd is PID 1 of the host: SIGTERM makes it exit, the kernel kills the rest of the
 * host, unshare (which ignores SIGTERM itself) follows, and the namespaces go.
 */
export async function stopHost(p: HostProcess): Promise<void> {
  if (p.sshd !== undefined) signal(p.sshd, 'SIGTERM');
  else signal(p.unshare, 'SIGKILL'); // still in host-init.sh: --kill-child kills it
  try {
    await waitFor(`host${p.n} to stop`, () => !isAlive(p.unshare), { timeoutMs: 5_000, intervalMs: 20 });
  } catch {
    await killHost(p);
  }
  wipeHost(p.n);
}
