import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { stateDir } from './paths';
import { type ComponentStatus, StackError } from './stack-error';
import { assertPortFree } from './ports';
import { isAlive, readPid, stopProcess, waitFor } from './process-control';
import { requireCommand, run } from './system-commands';

/**
 * A second Redis of the stack, TLS only and with an ACL user, for the encrypted and
 * authenticated master–worker transport (issue 4). The plain Redis on 6380 stays as it is.
 *
 * Everything lives in `.stack/redis-tls/` (mode 0700), generated once and reused:
 * - `ca.crt` / `ca.key`: a private CA; clients trust only `ca.crt` (SIMPLECM_REDIS_CA).
 * - `server.crt` / `server.key`: signed by that CA, subjectAltName IP:127.0.0.1 and DNS:localhost.
 * - `password`: the `simplecm` user's password; redis.conf holds only its SHA-256.
 * - `env`: `export SIMPLECM_REDIS_URL=… SIMPLECM_REDIS_CA=…`, to `source` (0600: it holds the password).
 * Clients are not asked for certificates (`tls-auth-clients no`): they authenticate with the
 * ACL password, which only ever travels inside TLS.
 */
export const redisTlsPort = 6381;
export const redisTlsHost = '127.0.0.1';
export const redisTlsUser = 'simplecm';

const dir = path.join(stateDir, 'redis-tls');
export const redisTlsPaths = {
  dir,
  dataDir: path.join(dir, 'data'),
  caCert: path.join(dir, 'ca.crt'),
  caKey: path.join(dir, 'ca.key'),
  serverCert: path.join(dir, 'server.crt'),
  serverKey: path.join(dir, 'server.key'),
  password: path.join(dir, 'password'),
  env: path.join(dir, 'env'),
  conf: path.join(dir, 'redis.conf'),
  pid: path.join(dir, 'redis.pid'),
  log: path.join(dir, 'redis.log'),
} as const;

const secretMode = 0o600;

/** The URL with the password masked: the only form that may appear in logs and status output. */
export const redisTlsDisplayUrl = `rediss://${redisTlsUser}:***@${redisTlsHost}:${redisTlsPort}`;

function readPassword(): string {
  try {
    return fs.readFileSync(redisTlsPaths.password, 'utf8').trim();
  } catch {
    throw new StackError(`no TLS Redis password at ${redisTlsPaths.password}: run 'npm run stack -- up --redis-tls' first`);
  }
}

/**
 * The environment overrides that point a SimpleCM process at the TLS Redis
 * (merge over `stackEnv()`). The URL holds the password: never log it, log `redisTlsDisplayUrl`.
 */
export function stackTlsEnv(): { SIMPLECM_REDIS_URL: string; SIMPLECM_REDIS_CA: string } {
  return {
    SIMPLECM_REDIS_URL: `rediss://${redisTlsUser}:${encodeURIComponent(readPassword())}@${redisTlsHost}:${redisTlsPort}`,
    SIMPLECM_REDIS_CA: redisTlsPaths.caCert,
  };
}

function writeSecret(file: string, content: string): void {
  fs.writeFileSync(file, content, { mode: secretMode });
  fs.chmodSync(file, secretMode); // writeFileSync's mode only applies when it creates the file
}

/** The CA and the server certificate, created with openssl unless all four files exist. */
function ensureCertificates(log: (line: string) => void): void {
  const p = redisTlsPaths;
  if ([p.caCert, p.caKey, p.serverCert, p.serverKey].every((f) => fs.existsSync(f))) return;
  const openssl = requireCommand('openssl', 'openssl');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(openssl, [
    'req', '-x509', ...ec, '-keyout', p.caKey, '-out', p.caCert, '-days', '3650', '-sha256',
    '-subj', '/O=SimpleCM stack/CN=SimpleCM stack Redis CA',
    '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  fs.chmodSync(p.caKey, secretMode);
  const csr = path.join(dir, 'server.csr');
  const extensions = path.join(dir, 'server.ext');
  run(openssl, ['req', '-new', ...ec, '-keyout', p.serverKey, '-out', csr, '-subj', '/O=SimpleCM stack/CN=localhost']);
  fs.chmodSync(p.serverKey, secretMode);
  fs.writeFileSync(
    extensions,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature', // ECDSA key: signs the handshake, encrypts nothing
      'extendedKeyUsage=serverAuth',
      `subjectAltName=IP:${redisTlsHost},DNS:localhost`,
      '',
    ].join('\n'),
  );
  run(openssl, [
    'x509', '-req', '-in', csr, '-CA', p.caCert, '-CAkey', p.caKey, '-set_serial', `0x${randomBytes(16).toString('hex')}`,
    '-days', '825', '-sha256', '-extfile', extensions, '-out', p.serverCert,
  ]);
  fs.rmSync(csr, { force: true });
  fs.rmSync(extensions, { force: true });
  log(`redis-tls: generated a CA and a server certificate (IP:${redisTlsHost}, DNS:localhost) in ${dir}`);
}

function ensurePassword(): string {
  if (!fs.existsSync(redisTlsPaths.password)) writeSecret(redisTlsPaths.password, `${randomBytes(32).toString('base64url')}\n`);
  return readPassword();
}

function redisTlsConfig(password: string): string {
  const p = redisTlsPaths;
  const passwordHash = createHash('sha256').update(password).digest('hex');
  return [
    `bind ${redisTlsHost}`,
    'port 0',
    `tls-port ${redisTlsPort}`,
    `tls-cert-file ${p.serverCert}`,
    `tls-key-file ${p.serverKey}`,
    `tls-ca-cert-file ${p.caCert}`,
    'tls-auth-clients no',
    'tls-protocols "TLSv1.2 TLSv1.3"',
    'tls-prefer-server-ciphers yes',
    'protected-mode yes',
    'daemonize no',
    `dir ${p.dataDir}`,
    `pidfile ${p.pid}`,
    `logfile ${p.log}`,
    // Same durability as the plain instance (see redis.ts).
    'appendonly yes',
    'appendfsync everysec',
    'save ""',
    'maxmemory-policy noeviction',
    // No anonymous access: the default user is off and can do nothing even if turned on.
    'user default off resetpass resetkeys resetchannels -@all',
    // Everything BullMQ needs (scripts, blocking commands, INFO, CLIENT). `#` is the password's
    // SHA-256, so this file does not hold the password itself.
    `user ${redisTlsUser} on #${passwordHash} ~* &* +@all`,
    '',
  ].join('\n');
}

/** RESP encoding of one command. */
function respCommand(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** True when the TLS Redis verifies against our CA, accepts the password and answers PING. */
export function redisTlsPing(timeoutMs = 2_000): Promise<boolean> {
  let password: string;
  let ca: Buffer;
  try {
    password = readPassword();
    ca = fs.readFileSync(redisTlsPaths.caCert);
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    let reply = '';
    const socket = tls.connect({ host: redisTlsHost, port: redisTlsPort, ca: [ca], rejectUnauthorized: true });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('secureConnect', () => socket.write(respCommand('AUTH', redisTlsUser, password) + respCommand('PING')));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8');
      if (reply.split('\r\n').length >= 3) done(reply.startsWith('+OK\r\n+PONG\r\n'));
    });
  });
}

/**
 * Running = our process is alive and answers an authenticated PING over verified TLS. (A bare
 * TCP probe would do, but redis-server logs every handshake-less connection as an error.)
 */
export async function redisTlsRunning(): Promise<boolean> {
  return isAlive(readPid(redisTlsPaths.pid)) && (await redisTlsPing());
}

/** Starts the TLS Redis on 6381 (idempotent); certificates and password are created on first use. */
export async function redisTlsUp({ log }: { log: (line: string) => void }): Promise<{ displayUrl: string; caFile: string }> {
  const result = { displayUrl: redisTlsDisplayUrl, caFile: redisTlsPaths.caCert };
  if (await redisTlsRunning()) {
    log(`redis-tls: already running on ${redisTlsDisplayUrl}`);
    return result;
  }
  const server = requireCommand('redis-server', 'redis-server');
  await assertPortFree(redisTlsHost, redisTlsPort, 'Redis TLS');
  fs.mkdirSync(redisTlsPaths.dataDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  ensureCertificates(log);
  const password = ensurePassword();
  writeSecret(redisTlsPaths.conf, redisTlsConfig(password));
  writeSecret(redisTlsPaths.env, Object.entries(stackTlsEnv()).map(([k, v]) => `export ${k}='${v}'`).join('\n') + '\n');
  const child = spawn(server, [redisTlsPaths.conf], { detached: true, stdio: 'ignore' });
  child.unref();
  await waitFor(`redis-server (TLS) on ${redisTlsHost}:${redisTlsPort} (log: ${redisTlsPaths.log})`, async () => {
    if (child.exitCode !== null) {
      const tail = fs.existsSync(redisTlsPaths.log) ? fs.readFileSync(redisTlsPaths.log, 'utf8').split('\n').slice(-10).join('\n') : '';
      throw new StackError(`redis-server (TLS) exited with ${child.exitCode}:\n${tail}`);
    }
    return redisTlsPing();
  }, { timeoutMs: 15_000, intervalMs: 100 });
  log(`redis-tls: started on ${redisTlsDisplayUrl} (TLS only, ACL user ${redisTlsUser}, CA ${redisTlsPaths.caCert}; source ${redisTlsPaths.env} to use it)`);
  return result;
}

export async function redisTlsDown(): Promise<void> {
  await stopProcess(readPid(redisTlsPaths.pid));
  fs.rmSync(redisTlsPaths.pid, { force: true });
}

export async function redisTlsStatus(): Promise<ComponentStatus> {
  const pid = readPid(redisTlsPaths.pid);
  const running = await redisTlsRunning();
  return {
    name: 'redis-tls',
    running,
    detail: running ? `${redisTlsDisplayUrl} pid ${pid}, TLS only, CA ${redisTlsPaths.caCert}` : 'stopped',
  };
}
