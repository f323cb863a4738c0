/**
 * Each host is a copy-on-write overlay of the machine's `/`: what host n's upper dir holds
 * (its own /etc/hostname, sshd_config, keys, authorized_keys), what host-init.sh mounts, and
 * throwing it away again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileWithMode } from '../file-writes';
import { stackPaths, stateDir } from '../paths';
import { describePid, readProc } from './proc-files';
import { hostKeyFile, hostMachineId } from './host-keys';
import { sshdConfig } from './sshd-config';
import { hostAddress, hostDir, hostName } from './stack-host';

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
export function prepareHost(n: number, clientPub: string, sshd: string): void {
  const dir = hostDir(n);
  const upper = path.join(dir, 'upper');
  wipeHost(n);
  const hostKey = hostKeyFile(n);
  fs.mkdirSync(path.join(dir, 'work'), { mode: 0o700 });
  fs.mkdirSync(path.join(dir, 'root'), { recursive: true });
  writeFileWithMode(path.join(dir, 'fstab'), hostFstab(n), 0o644);
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
  writeFileWithMode(path.join(etc, 'hostname'), `${hostName(n)}\n`, 0o644);
  writeFileWithMode(
    path.join(etc, 'hosts'),
    `127.0.0.1\tlocalhost\n${hostAddress(n)}\t${hostName(n)}\n::1\tlocalhost ip6-localhost ip6-loopback\n`,
    0o644,
  );
  writeFileWithMode(path.join(etc, 'machine-id'), hostMachineId(n), 0o444);
  writeFileWithMode(path.join(etc, 'ssh', 'sshd_config'), sshdConfig(n, sshd), 0o644);
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
    writeFileWithMode(file, shadow.replace(/^root:![^:]*:/m, 'root:*:'), st.mode & 0o7777);
    fs.chownSync(file, st.uid, st.gid);
  }
  const root = path.join(upper, 'root');
  writeFileWithMode(path.join(root, '.ssh', 'authorized_keys'), `${clientPub}\n`, 0o600);
  // A plain root shell: the machine's .bashrc costs ~100 ms per session.
  writeFileWithMode(path.join(root, '.bashrc'), '', 0o644);
  writeFileWithMode(path.join(root, '.profile'), '', 0o644);
}

/** Throws away what host n wrote (it must not be running). Keys stay. */
export function wipeHost(n: number): void {
  const dir = hostDir(n);
  for (const sub of ['upper', 'work']) fs.rmSync(path.join(dir, sub), { recursive: true, force: true });
  for (const file of ['unshare.pid', 'sshd.pid']) fs.rmSync(path.join(dir, file), { force: true });
}

/**
 * Processes whose mount namespace still has one of our overlays (e.g. something that
 * entered a host with `nsenter -m` and outlived it). The machine's own namespace never
 * has them: host-init.sh mounts only inside the host's namespace.
 */
export function leakedOverlays(): string[] {
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
