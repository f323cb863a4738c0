import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileWithMode } from '../file-writes';
import { stackPaths } from '../paths';
import { StackError } from '../stack-error';
import { requireCommand } from '../system-commands';
import { HOST_KEY_NAME, hostDir, hostName } from './stack-host';

// The client key every host accepts, each host's own key, and its machine-id: kept across restarts.

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

export async function ensureClientKey(): Promise<{ pub: string; created: boolean }> {
  fs.mkdirSync(stackPaths.keysDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(stackPaths.keysDir, 0o700);
  return ensureKeyPair(path.join(stackPaths.keysDir, HOST_KEY_NAME), 'simplecm-stack');
}

export function hostKeyFile(n: number): string {
  return path.join(hostDir(n), 'ssh_host_ed25519_key');
}

export async function ensureHostKey(n: number): Promise<void> {
  fs.mkdirSync(hostDir(n), { recursive: true, mode: 0o700 });
  await ensureKeyPair(hostKeyFile(n), `root@${hostName(n)}`);
}

/** The public key blob of host n (what ssh2's hostVerifier receives); its key must exist. */
export function hostPublicKey(n: number): Buffer {
  const pub = readPub(hostKeyFile(n));
  if (!pub) throw new StackError(`${hostName(n)} has no host key (${hostKeyFile(n)})`);
  return Buffer.from(pub.split(/\s+/)[1] ?? '', 'base64');
}

export function hostMachineId(n: number): string {
  const file = path.join(hostDir(n), 'machine-id');
  if (!fs.existsSync(file)) writeFileWithMode(file, `${crypto.randomBytes(16).toString('hex')}\n`, 0o644);
  return fs.readFileSync(file, 'utf8');
}
