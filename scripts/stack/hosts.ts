/**
 * N real OpenSSH test hosts on this one machine.
 *
 * Host N is an sshd listening on `hostAddress(N)`:22 (all of 127/8 is on lo), running
 * as PID 1 of its own PID namespace, in its own UTS namespace (hostname `hostN`) and
 * mount namespace, chrooted into a copy-on-write overlay of the machine's `/`
 * (see host-init.sh). Writes on a host land in `.stack/hosts/hostN/upper` and nowhere
 * else; `hostsDown`/`resetHost` throw that away, so hosts are ephemeral, while the host
 * keys (and so known_hosts) and the client key stay.
 *
 * Layout of `.stack/hosts/hostN/`:
 *   ssh_host_ed25519_key{,.pub}, machine-id  kept across restarts
 *   upper/ work/ root/                        overlay upper, work dir, mount point
 *   fstab                                     what host-init.sh mounts
 *   unshare.pid, sshd.pid, sshd.log           records of the running host
 *
 * sshd runs as PID 1 of the host, so SIGTERM to it ends the whole host (`unshare
 * --fork` itself ignores SIGTERM). Running hosts are found in /proc by the command
 * line of their `unshare` process, which names host-init.sh and the host's directory.
 * Every hosts operation holds `.stack/hosts/.lock` (parallel jest workers call hostsUp).
 *
 * A system sshd on 0.0.0.0:22 makes every bind to 127.10.x.y:22 fail. When it is
 * Debian's own `ssh` service we stop it (not disable: it comes back on reboot and the
 * next `up` stops it again) and say so in the log; SIMPLECM_KEEP_SYSTEM_SSHD=1 makes
 * `hostsUp` refuse instead. Anything else on *:22 is refused with a message.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { stackPaths, stateDir } from './paths';
import { type ComponentStatus, StackError, isAlive, requireCommand, run, waitFor, which } from './proc';

export interface StackHost {
  hostname: string;
  address: string;
  port: number;
  user: string;
  keyName: string;
  groups: string[];
}

export const HOST_PORT = 22;
export const HOST_USER = 'root';
/** Name of the client key in `stackPaths.keysDir` that every host accepts for root. */
export const HOST_KEY_NAME = 'stack';

/** How many hosts are prepared and started at the same time. */
const START_CONCURRENCY = 32;
const HOST_INIT = path.join(__dirname, 'host-init.sh');
const SSHD_LOG_LEVEL = process.env.SIMPLECM_HOST_SSHD_LOGLEVEL ?? 'ERROR';

/** 127.10.0.1 … 127.10.0.250, 127.10.1.1 …: never .0 or .255 in the last octet. */
export function hostAddress(n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > 250 * 256) throw new RangeError(`host number out of range: ${n}`);
  return `127.10.${Math.floor((n - 1) / 250)}.${((n - 1) % 250) + 1}`;
}

function hostName(n: number): string {
  return `host${n}`;
}

function hostDir(n: number): string {
  return path.join(stackPaths.hostsDir, hostName(n));
}

function hostGroups(n: number): string[] {
  const groups = ['all', n % 2 === 1 ? 'odd' : 'even'];
  if (n <= 4) groups.push('web');
  if (n === 5) groups.push('db');
  return groups;
}

function stackHost(n: number): StackHost {
  return {
    hostname: hostName(n),
    address: hostAddress(n),
    port: HOST_PORT,
    user: HOST_USER,
    keyName: HOST_KEY_NAME,
    groups: hostGroups(n),
  };
}

// ---------------------------------------------------------------------------
// Processes: /proc is the truth, pid files are only a record for people.

interface HostProcess {
  readonly n: number;
  /** The `unshare` process in the machine's PID namespace; holds the mount namespace. */
  readonly unshare: number;
  /** Its child: host-init.sh, which execs sshd (PID 1 inside the host). */
  readonly sshd: number | undefined;
}

function readProc(pid: number | string, file: string): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** Our hosts' unshare processes, found by their command line (host-init.sh + host dir). */
function hostProcesses(): Map<number, HostProcess> {
  const found = new Map<number, HostProcess>();
  const prefix = stackPaths.hostsDir + path.sep + 'host';
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = readProc(entry, 'cmdline');
    if (!cmdline || !cmdline.includes(HOST_INIT)) continue;
    const argv = cmdline.split('\0');
    if (!argv[0]?.endsWith('unshare')) continue;
    const dirArg = argv[argv.indexOf(HOST_INIT) + 1];
    if (!dirArg?.startsWith(prefix)) continue;
    const n = Number(dirArg.slice(prefix.length));
    const pid = Number(entry);
    if (!Number.isInteger(n) || n < 1 || !isAlive(pid)) continue;
    const child = firstChild(pid);
    found.set(n, { n, unshare: pid, sshd: isAlive(child) ? child : undefined });
  }
  return found;
}

/** LISTEN sockets on `port` from /proc/net/tcp: IPv4 address -> socket inode. */
function tcpListeners(port: number): Map<string, string> {
  const listeners = new Map<string, string>();
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  const table = readProc('self', 'net/tcp') ?? '';
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    const local = f[1];
    if (f[3] !== '0A' || !local?.endsWith(`:${portHex}`)) continue;
    // The address is a 32-bit number printed in host (little-endian) byte order.
    const hex = local.slice(0, 8);
    const bytes = [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16));
    listeners.set(bytes.join('.'), f[9] ?? '');
  }
  return listeners;
}

/** Inode of a LISTEN socket on [::]:port, if any. */
function tcp6WildcardListener(port: number): string | undefined {
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of (readProc('self', 'net/tcp6') ?? '').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[3] === '0A' && f[1] === `${'0'.repeat(32)}:${portHex}`) return f[9];
  }
  return undefined;
}

/** Pid of a process holding the socket with this inode. */
function socketOwner(inode: string): number | undefined {
  const target = `socket:[${inode}]`;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (fs.readlinkSync(`/proc/${entry}/fd/${fd}`) === target) return Number(entry);
      } catch {
        /* fd closed meanwhile */
      }
    }
  }
  return undefined;
}

function describePid(pid: number | undefined): string {
  if (pid === undefined) return 'unknown process';
  const cmd = (readProc(pid, 'cmdline') ?? '').split('\0').join(' ').trim();
  return `pid ${pid} (${cmd || '?'})`;
}

/**
 * A wildcard listener on :22 (the usual system sshd) makes our binds fail. Stops it
 * when it is Debian's `ssh` service; refuses with instructions otherwise.
 */
async function clearWildcardPort22(log: (line: string) => void): Promise<void> {
  const v4 = tcpListeners(HOST_PORT).get('0.0.0.0');
  // [::]:22 blocks us only without IPV6_V6ONLY, which /proc does not show: act on it
  // only when it is the system sshd (sshd sets V6ONLY, but it holds 0.0.0.0:22 too).
  const inode = v4 ?? tcp6WildcardListener(HOST_PORT);
  if (inode === undefined) return;
  const pid = socketOwner(inode);
  let exe: string | undefined;
  try {
    exe = pid === undefined ? undefined : fs.readlinkSync(`/proc/${pid}/exe`);
  } catch {
    exe = undefined;
  }
  let servicePid: number | undefined;
  try {
    servicePid = Number(fs.readFileSync('/run/sshd.pid', 'utf8').trim());
  } catch {
    servicePid = undefined;
  }
  // Debian's service runs /usr/sbin/sshd with the default PidFile /run/sshd.pid.
  const isDebianService = exe === '/usr/sbin/sshd' && pid !== undefined && pid === servicePid;
  const what = `${describePid(pid)} listens on *:${HOST_PORT}, so the test hosts cannot listen on 127.10.x.y:${HOST_PORT}`;
  if (!isDebianService) {
    if (v4 === undefined) return;
    throw new StackError(`${what}: stop it (see 'ss -ltnp sport = :${HOST_PORT}') and run 'stack up' again`);
  }
  if (process.env.SIMPLECM_KEEP_SYSTEM_SSHD === '1') {
    throw new StackError(
      `${what}: it is the system ssh service; stop it ('systemctl stop ssh' or 'service ssh stop') or unset SIMPLECM_KEEP_SYSTEM_SSHD to let the stack do that`,
    );
  }
  log(
    `hosts: stopping the system ssh service (${describePid(pid)} on *:${HOST_PORT} blocks the test hosts); ` +
      `open sessions stay; start it again with 'systemctl start ssh' or 'service ssh start' after 'stack down'; ` +
      `SIMPLECM_KEEP_SYSTEM_SSHD=1 refuses instead`,
  );
  const systemctl = fs.existsSync('/run/systemd/system') ? which('systemctl') : undefined;
  if (systemctl) {
    // Socket activation, when enabled, would start sshd again on the next connection.
    for (const unit of ['ssh.socket', 'ssh.service']) {
      try {
        run(systemctl, ['stop', unit]);
      } catch {
        /* unit not loaded */
      }
    }
  }
  // Without systemd, this is what /etc/init.d/ssh stop does. Only the listener dies.
  if (isAlive(pid)) process.kill(pid, 'SIGTERM');
  await waitFor(`the system sshd to release *:${HOST_PORT}`, () => !tcpListeners(HOST_PORT).has('0.0.0.0') && !tcp6WildcardListener(HOST_PORT), {
    timeoutMs: 10_000,
    intervalMs: 100,
  });
}

// ---------------------------------------------------------------------------
// Keys and files.

function writeFile(file: string, content: string | Buffer, mode: number): void {
  fs.writeFileSync(file, content, { mode });
  fs.chmodSync(file, mode); // writeFileSync's mode is filtered by umask and ignored for existing files
}

/** Atomic replace, so readers never see half a file. */
function replaceFile(file: string, content: string, mode = 0o644): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFile(tmp, content, mode);
  fs.renameSync(tmp, file);
}

/** True for `ssh-ed25519 <base64 of a 51-byte blob>`: 4+11 bytes of type, 4+32 of key. */
function validEd25519Pub(pub: string): boolean {
  const [type, blob] = pub.split(/\s+/);
  return type === 'ssh-ed25519' && blob !== undefined && Buffer.from(blob, 'base64').length === 51;
}

function readPub(privateFile: string): string | undefined {
  try {
    const pub = fs.readFileSync(`${privateFile}.pub`, 'utf8').trim();
    return fs.existsSync(privateFile) && validEd25519Pub(pub) ? pub : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The key pair at privateFile (+ .pub), made by ssh-keygen when missing or damaged.
 * Not ssh2's utils.generateKeyPairSync: it drops a leading zero byte of the ed25519
 * public key (1 key in 256 is then unreadable for sshd: "error in libcrypto").
 */
async function ensureKeyPair(privateFile: string, comment: string): Promise<{ pub: string; created: boolean }> {
  const existing = readPub(privateFile);
  if (existing) return { pub: existing, created: false };
  fs.rmSync(privateFile, { force: true });
  fs.rmSync(`${privateFile}.pub`, { force: true });
  const keygen = requireCommand('ssh-keygen', 'openssh-client');
  await new Promise<void>((resolve, reject) =>
    execFile(keygen, ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', privateFile], (err, _out, stderr) =>
      err ? reject(new StackError(`ssh-keygen for ${privateFile} failed: ${stderr.trim() || err.message}`)) : resolve(),
    ),
  );
  fs.chmodSync(privateFile, 0o600);
  const pub = readPub(privateFile);
  if (!pub) throw new StackError(`ssh-keygen wrote no usable key to ${privateFile}`);
  return { pub, created: true };
}

async function ensureClientKey(): Promise<{ pub: string; created: boolean }> {
  fs.mkdirSync(stackPaths.keysDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(stackPaths.keysDir, 0o700);
  return ensureKeyPair(path.join(stackPaths.keysDir, HOST_KEY_NAME), 'simplecm-stack');
}

function hostKeyFile(n: number): string {
  return path.join(hostDir(n), 'ssh_host_ed25519_key');
}

async function ensureHostKey(n: number): Promise<void> {
  fs.mkdirSync(hostDir(n), { recursive: true, mode: 0o700 });
  await ensureKeyPair(hostKeyFile(n), `root@${hostName(n)}`);
}

/** `ssh-ed25519 AAAA…` (no comment) of host n; its key must exist. */
function hostPublicKey(n: number): string {
  const pub = readPub(hostKeyFile(n));
  if (!pub) throw new StackError(`${hostName(n)} has no host key (${hostKeyFile(n)})`);
  return pub.split(/\s+/).slice(0, 2).join(' ');
}

function hostMachineId(n: number): string {
  const file = path.join(hostDir(n), 'machine-id');
  if (!fs.existsSync(file)) writeFile(file, `${crypto.randomBytes(16).toString('hex')}\n`, 0o644);
  return fs.readFileSync(file, 'utf8');
}

let sshdVersion: [number, number] | undefined;
function opensshVersion(sshd: string): [number, number] {
  if (!sshdVersion) {
    // `sshd -V` exits non-zero on older releases; the version is in stderr either way.
    const r = spawnSync(sshd, ['-V'], { encoding: 'utf8' });
    const m = /OpenSSH_(\d+)\.(\d+)/.exec(`${r.stderr}${r.stdout}`);
    sshdVersion = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  }
  return sshdVersion;
}

function sshdConfig(n: number, sshd: string): string {
  const [major, minor] = opensshVersion(sshd);
  const lines = [
    `# Written by SimpleCM's stack (scripts/stack/hosts.ts) for test host ${hostName(n)}.`,
    `ListenAddress ${hostAddress(n)}:${HOST_PORT}`,
    'HostKey /etc/ssh/ssh_host_ed25519_key',
    'PidFile /run/sshd.pid',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'AuthorizedKeysFile .ssh/authorized_keys',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    'X11Forwarding no',
    // Workers and tests open many sessions at once, and connect to one host in parallel.
    'MaxSessions 64',
    'MaxStartups 500:30:1000',
    'LoginGraceTime 30',
    `LogLevel ${SSHD_LOG_LEVEL}`,
    'Subsystem sftp /usr/lib/openssh/sftp-server',
  ];
  // OpenSSH 9.8+ penalises sources with failed/aborted logins; tests do that on purpose.
  if (major > 9 || (major === 9 && minor >= 8)) lines.push('PerSourcePenalties no');
  return `${lines.join('\n')}\n`;
}

/** Creates `upper/<rel>` with the owner and mode of `/<rel>` (merged dirs show upper's). */
function mkdirLikeLower(upper: string, rel: string, fallbackMode: number): void {
  const dir = path.join(upper, rel);
  let mode = fallbackMode;
  let uid = 0;
  let gid = 0;
  try {
    const st = fs.statSync(path.join('/', rel));
    mode = st.mode & 0o7777;
    uid = st.uid;
    gid = st.gid;
  } catch {
    /* not on the machine: use the fallback */
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, mode);
  fs.chownSync(dir, uid, gid);
}

/**
 * What host-init.sh mounts (one `mount --all`), in order: the overlay of / on
 * <hostDir>/root, then the host's own /proc, /dev, /sys, /run, /tmp (overlayfs shows
 * none of the machine's submounts, so these start as empty directories).
 */
function hostFstab(n: number): string {
  const dir = hostDir(n);
  const root = path.join(dir, 'root');
  const rows: string[][] = [
    ['overlay', root, 'overlay', `lowerdir=/,upperdir=${dir}/upper,workdir=${dir}/work`],
    ['proc', `${root}/proc`, 'proc', 'nosuid,nodev,noexec'], // this PID namespace's processes only
    ['/dev', `${root}/dev`, 'none', 'bind'], // the machine's device nodes...
    ['devpts', `${root}/dev/pts`, 'devpts', 'newinstance,ptmxmode=0666,mode=0620,gid=5'], // ...but own ptys
    ['tmpfs', `${root}/dev/shm`, 'tmpfs', 'nosuid,nodev,mode=1777'],
    ['/sys', `${root}/sys`, 'none', 'bind,ro'],
    ['tmpfs', `${root}/run`, 'tmpfs', 'nosuid,nodev,mode=0755'],
    // sshd's privilege-separation dir: empty, root-owned, not group/world-writable.
    ['tmpfs', `${root}/run/sshd`, 'tmpfs', 'nosuid,nodev,noexec,mode=0755,size=64k,X-mount.mkdir=0755'],
    ['tmpfs', `${root}/run/lock`, 'tmpfs', 'nosuid,nodev,noexec,mode=1777,size=5m,X-mount.mkdir=0755'],
    ['tmpfs', `${root}/tmp`, 'tmpfs', 'nosuid,nodev,mode=1777'],
  ];
  // The state dir is part of the lower layer when it is on the root filesystem: hide it
  // (client key, other hosts' files, and overlayfs answers ELOOP for its own upper dir).
  // Below one of the fresh mounts above it is hidden already.
  const covered = rows.slice(1).some((r) => stateDir.startsWith(`${r[1]!.slice(root.length)}/`));
  if (!covered && fs.statSync(stateDir).dev === fs.statSync('/').dev) {
    rows.push(['tmpfs', `${root}${stateDir}`, 'tmpfs', 'ro,mode=0755,size=4k']);
  }
  return rows.map((r) => `${r.join(' ')} 0 0\n`).join('');
}

/** Fresh upper/work dirs holding the files that make host n itself. */
function prepareHost(n: number, clientPub: string, sshd: string): void {
  const dir = hostDir(n);
  const upper = path.join(dir, 'upper');
  wipeHost(n);
  const hostKey = hostKeyFile(n);
  fs.mkdirSync(path.join(dir, 'work'), { mode: 0o700 });
  fs.mkdirSync(path.join(dir, 'root'), { recursive: true });
  writeFile(path.join(dir, 'fstab'), hostFstab(n), 0o644);
  fs.mkdirSync(upper, { mode: 0o755 });
  fs.chmodSync(upper, fs.statSync('/').mode & 0o7777);
  for (const [rel, mode] of [
    ['etc', 0o755],
    ['etc/ssh', 0o755],
    ['root', 0o700],
    ['root/.ssh', 0o700],
  ] as const) {
    mkdirLikeLower(upper, rel, mode);
  }
  const etc = path.join(upper, 'etc');
  writeFile(path.join(etc, 'hostname'), `${hostName(n)}\n`, 0o644);
  writeFile(
    path.join(etc, 'hosts'),
    `127.0.0.1\tlocalhost\n${hostAddress(n)}\t${hostName(n)}\n::1\tlocalhost ip6-localhost ip6-loopback\n`,
    0o644,
  );
  writeFile(path.join(etc, 'machine-id'), hostMachineId(n), 0o444);
  writeFile(path.join(etc, 'ssh', 'sshd_config'), sshdConfig(n, sshd), 0o644);
  fs.copyFileSync(hostKey, path.join(etc, 'ssh', 'ssh_host_ed25519_key'));
  fs.chmodSync(path.join(etc, 'ssh', 'ssh_host_ed25519_key'), 0o600);
  fs.copyFileSync(`${hostKey}.pub`, path.join(etc, 'ssh', 'ssh_host_ed25519_key.pub'));
  fs.chmodSync(path.join(etc, 'ssh', 'ssh_host_ed25519_key.pub'), 0o644);
  // Without PAM, sshd refuses even key logins to an account whose password starts with
  // '!' (locked); some installs lock root that way. '*' is "no password, not locked".
  const shadow = fs.readFileSync('/etc/shadow', 'utf8');
  if (/^root:!/m.test(shadow)) {
    const st = fs.statSync('/etc/shadow');
    const file = path.join(etc, 'shadow');
    writeFile(file, shadow.replace(/^root:![^:]*:/m, 'root:*:'), st.mode & 0o7777);
    fs.chownSync(file, st.uid, st.gid);
  }
  const root = path.join(upper, 'root');
  writeFile(path.join(root, '.ssh', 'authorized_keys'), `${clientPub}\n`, 0o600);
  // A plain root shell: the machine's .bashrc costs ~100 ms per session.
  writeFile(path.join(root, '.bashrc'), '', 0o644);
  writeFile(path.join(root, '.profile'), '', 0o644);
}

/** Throws away what host n wrote (it must not be running). Keys stay. */
function wipeHost(n: number): void {
  const dir = hostDir(n);
  for (const sub of ['upper', 'work']) fs.rmSync(path.join(dir, sub), { recursive: true, force: true });
  for (const file of ['unshare.pid', 'sshd.pid']) fs.rmSync(path.join(dir, file), { force: true });
}

// ---------------------------------------------------------------------------
// Start and stop.

interface Tools {
  unshare: string;
  sshd: string;
}

function requireTools(): Tools {
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

async function startHost(n: number, clientPub: string, tools: Tools): Promise<void> {
  prepareHost(n, clientPub, tools.sshd);
  const dir = hostDir(n);
  const out = fs.openSync(path.join(dir, 'sshd.log'), 'w');
  let child: ChildProcess;
  try {
    child = spawn(
      tools.unshare,
      [
        '--mount', '--uts', '--pid', '--fork', '--kill-child', '--propagation', 'private', '--',
        '/bin/sh', HOST_INIT, dir, hostName(n), tools.sshd,
      ],
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
    if (sshdPid !== undefined && sshdListening(sshdPid, tools.sshd)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL'); // --kill-child takes the host down with it
      throw new StackError(`${hostName(n)}: sshd did not listen on ${hostAddress(n)}:${HOST_PORT} within 30 s: ${logTail(n)}`);
    }
    await new Promise((r) => setTimeout(r, 15));
  }
  writeFile(path.join(dir, 'unshare.pid'), `${pid}\n`, 0o644);
  writeFile(path.join(dir, 'sshd.pid'), `${sshdPid}\n`, 0o644);
}

function firstChild(pid: number): number | undefined {
  const child = Number((readProc(pid, `task/${pid}/children`) ?? '').trim().split(/\s+/)[0]);
  return child > 0 ? child : undefined;
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

/**
 * sshd is PID 1 of the host: SIGTERM makes it exit, the kernel kills the rest of the
 * host, unshare (which ignores SIGTERM itself) follows, and the namespaces go.
 */
async function stopHost(p: HostProcess): Promise<void> {
  const signal = (pid: number | undefined, sig: NodeJS.Signals) => {
    try {
      if (isAlive(pid)) process.kill(pid, sig);
    } catch {
      /* gone */
    }
  };
  if (p.sshd !== undefined) signal(p.sshd, 'SIGTERM');
  else signal(p.unshare, 'SIGKILL'); // still in host-init.sh: --kill-child kills it
  try {
    await waitFor(`host${p.n} to stop`, () => !isAlive(p.unshare), { timeoutMs: 5_000, intervalMs: 20 });
  } catch {
    signal(p.sshd, 'SIGKILL');
    signal(p.unshare, 'SIGKILL');
    await waitFor(`host${p.n} to stop after SIGKILL`, () => !isAlive(p.unshare), { timeoutMs: 5_000, intervalMs: 20 });
  }
  wipeHost(p.n);
}

async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<Error[]> {
  const errors: Error[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (err) {
        errors.push(err as Error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return errors;
}

// ---------------------------------------------------------------------------
// One hosts operation at a time, across processes (parallel jest workers all call
// hostsUp) and within one.

let inProcess: Promise<unknown> = Promise.resolve();

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const result = inProcess.then(() => withFileLock(fn));
  inProcess = result.catch(() => undefined);
  return result;
}

async function withFileLock<T>(fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(stackPaths.hostsDir, { recursive: true });
  const lock = path.join(stackPaths.hostsDir, '.lock');
  await waitFor(
    'the hosts lock (another stack command is changing the hosts)',
    () => {
      try {
        fs.writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
        return true;
      } catch {
        try {
          const holder = Number(fs.readFileSync(lock, 'utf8').trim()) || undefined;
          // Empty: its creator is writing the pid right now, unless that was long ago.
          const stale = holder === undefined ? Date.now() - fs.statSync(lock).mtimeMs > 5_000 : !isAlive(holder);
          if (stale) fs.rmSync(lock, { force: true });
        } catch {
          /* released meanwhile: try again */
        }
        return false;
      }
    },
    { timeoutMs: 10 * 60_000, intervalMs: 100 },
  );
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

// ---------------------------------------------------------------------------
// Public API.

function writeInventoryFiles(count: number): StackHost[] {
  const hosts = Array.from({ length: count }, (_, i) => stackHost(i + 1));
  fs.mkdirSync(stackPaths.sshDir, { recursive: true });
  // OpenSSH's format: for port 22 the plain names, comma-separated (`[name]:port` is
  // only for other ports), then key type and base64 blob.
  const knownHosts = hosts.map((h, i) => `${h.hostname},${h.address} ${hostPublicKey(i + 1)}\n`).join('');
  replaceFile(stackPaths.knownHosts, knownHosts);
  replaceFile(stackPaths.inventory, `${JSON.stringify({ hosts }, null, 2)}\n`);
  return hosts;
}

function readInventoryCount(): number {
  try {
    const inv = JSON.parse(fs.readFileSync(stackPaths.inventory, 'utf8')) as { hosts?: unknown[] };
    return Array.isArray(inv.hosts) ? inv.hosts.length : 0;
  } catch {
    return 0;
  }
}

/** Host numbers that have a directory under hostsDir. */
function hostDirNumbers(): number[] {
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(stackPaths.hostsDir);
  } catch {
    return [];
  }
  return entries.map((e) => /^host(\d+)$/.exec(e)?.[1]).filter((x): x is string => x !== undefined).map(Number);
}

function isUp(p: HostProcess | undefined, listeners: Map<string, string>): boolean {
  return p !== undefined && p.sshd !== undefined && listeners.has(hostAddress(p.n));
}

/**
 * Makes hosts 1…count run: running ones are kept, missing ones started (in parallel),
 * any above count stopped. Writes known_hosts and the inventory.
 */
export async function hostsUp(opts: { count: number; log: (line: string) => void; atLeast?: boolean }): Promise<StackHost[]> {
  const { log } = opts;
  if (!Number.isInteger(opts.count) || opts.count < 0 || opts.count > 250 * 256) throw new StackError(`invalid host count: ${opts.count}`);
  const tools = requireTools();
  return withLock(async () => {
    // atLeast: the tests need five hosts but must not stop a benchmark's larger stack.
    const count = opts.atLeast ? Math.max(opts.count, readInventoryCount()) : opts.count;
    const client = await ensureClientKey();
    const clientPub = client.pub;
    const running = hostProcesses();
    if (client.created && running.size > 0) {
      // Running hosts trust the old key: start them again with the new one.
      log(`hosts: new client key ${path.join(stackPaths.keysDir, HOST_KEY_NAME)}: restarting ${running.size} running host(s)`);
      await pool([...running.values()], START_CONCURRENCY, stopHost);
      running.clear();
    }
    const keyErrors = await pool(
      Array.from({ length: count }, (_, i) => i + 1),
      START_CONCURRENCY,
      ensureHostKey,
    );
    if (keyErrors.length > 0) throw keyErrors[0]!;

    const surplus = [...running.values()].filter((p) => p.n > count);
    if (surplus.length > 0) log(`hosts: stopping ${surplus.length} host(s) above host${count}`);
    const stopErrors = await pool(surplus, START_CONCURRENCY, stopHost);
    if (stopErrors.length > 0) throw new StackError(`hosts: ${stopErrors.length} host(s) did not stop: ${stopErrors[0]!.message}`);
    for (const n of hostDirNumbers()) if (n > count && !running.has(n)) wipeHost(n);

    const listeners = tcpListeners(HOST_PORT);
    const toStart: number[] = [];
    for (let n = 1; n <= count; n++) {
      const p = running.get(n);
      if (isUp(p, listeners)) continue;
      if (p) await stopHost(p); // half-started or sshd gone: start it again
      toStart.push(n);
    }
    if (toStart.length > 0) {
      await clearWildcardPort22(log);
      const after = tcpListeners(HOST_PORT);
      const taken = toStart.filter((n) => after.has(hostAddress(n)));
      if (taken.length > 0) {
        const n = taken[0]!;
        throw new StackError(
          `${hostAddress(n)}:${HOST_PORT} (${hostName(n)}) is taken by ${describePid(socketOwner(after.get(hostAddress(n))!))}, ` +
            `not by this stack: stop it (maybe a stack of another checkout: 'npm run stack -- down' there)`,
        );
      }
      const started = Date.now();
      log(`hosts: starting ${toStart.length} host(s) (${count - toStart.length} already up)`);
      let done = 0;
      const step = Math.max(1, Math.ceil(toStart.length / 10));
      const errors = await pool(toStart, START_CONCURRENCY, async (n) => {
        await startHost(n, clientPub, tools);
        done++;
        if (done % step === 0 && done < toStart.length) log(`hosts: ${count - toStart.length + done}/${count} up`);
      });
      if (errors.length > 0) {
        throw new StackError(
          `hosts: ${errors.length} of ${toStart.length} host(s) failed to start (the others are up; 'stack up' retries): ${errors[0]!.message}`,
        );
      }
      log(`hosts: ${count}/${count} up in ${((Date.now() - started) / 1000).toFixed(1)} s (${hostAddress(1)}…:${HOST_PORT})`);
    } else {
      log(`hosts: ${count}/${count} already up`);
    }
    return writeInventoryFiles(count);
  });
}

/**
 * Stops every host; leaves no process, mount or listener. Host keys, the client key
 * and known_hosts stay; what the hosts wrote and the inventory go.
 */
export async function hostsDown(): Promise<void> {
  await withLock(async () => {
    const running = [...hostProcesses().values()];
    const errors = await pool(running, START_CONCURRENCY, stopHost);
    if (errors.length > 0) throw new StackError(`hosts: ${errors.length} host(s) did not stop: ${errors[0]!.message}`);
    for (const n of hostDirNumbers()) wipeHost(n);
    // The inventory lists running hosts; known_hosts stays (the keys do too).
    fs.rmSync(stackPaths.inventory, { force: true });
    const leaks = leakedOverlays();
    if (leaks.length > 0) {
      throw new StackError(
        `hosts stopped, but overlays of ${stackPaths.hostsDir} are still mounted in mount namespaces held by ${leaks.join(', ')}: end those processes`,
      );
    }
  });
}

/**
 * Processes whose mount namespace still has one of our overlays (e.g. something that
 * entered a host with `nsenter -m` and outlived it). The machine's own namespace never
 * has them: host-init.sh mounts only inside the host's namespace.
 */
function leakedOverlays(): string[] {
  const seen = new Set<string>();
  const holders: string[] = [];
  const needle = `upperdir=${stackPaths.hostsDir}${path.sep}`;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let ns: string;
    try {
      ns = fs.readlinkSync(`/proc/${entry}/ns/mnt`);
    } catch {
      continue;
    }
    if (seen.has(ns)) continue;
    seen.add(ns);
    if ((readProc(entry, 'mountinfo') ?? '').includes(needle)) holders.push(describePid(Number(entry)));
  }
  return holders;
}

/** One line for all hosts: "5/5 hosts up …" against the inventory's count. */
export async function hostsStatus(): Promise<ComponentStatus[]> {
  const expected = readInventoryCount();
  const running = hostProcesses();
  const listeners = tcpListeners(HOST_PORT);
  let up = 0;
  const down: string[] = [];
  for (let n = 1; n <= expected; n++) {
    if (isUp(running.get(n), listeners)) up++;
    else down.push(hostName(n));
  }
  const extra = [...running.keys()].filter((n) => n > expected).length;
  let detail: string;
  if (expected === 0) {
    detail = running.size > 0 ? `no inventory, but ${running.size} host process(es) running: run 'stack down'` : 'no hosts';
  } else {
    detail =
      `${up}/${expected} hosts up on ${hostAddress(1)}…${hostAddress(expected)}:${HOST_PORT} (user ${HOST_USER}, key '${HOST_KEY_NAME}', ${stackPaths.hostsDir})` +
      (down.length > 0 ? `; down: ${down.slice(0, 5).join(', ')}${down.length > 5 ? ', …' : ''}` : '') +
      (extra > 0 ? `; ${extra} host(s) beyond the inventory still running` : '');
  }
  return [{ name: 'hosts', running: expected > 0 && up === expected && extra === 0, detail }];
}

/** Restarts host n from scratch (empty upper dir), with the same host key. */
export async function resetHost(n: number): Promise<void> {
  const tools = requireTools();
  await withLock(async () => {
    const count = readInventoryCount();
    if (!Number.isInteger(n) || n < 1 || n > count) {
      throw new StackError(`no ${hostName(n)}: the stack has ${count} host(s) (run 'stack up' first)`);
    }
    const p = hostProcesses().get(n);
    if (p) await stopHost(p);
    await ensureHostKey(n);
    await startHost(n, (await ensureClientKey()).pub, tools);
  });
}
