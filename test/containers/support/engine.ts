import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { liveMasters } from '@simplecm/queue';

/**
 * The containers suite's view of its Docker engine (docker/engine.sh) and of the local compose
 * layout (docker/compose.local.yml): commands, the state global setup leaves for the tests, and
 * the addresses the containers bind on loopback.
 */

const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const engineScript = path.join(repoRoot, 'docker', 'engine.sh');
export const composeFile = path.join(repoRoot, 'docker', 'compose.local.yml');
export const project = 'simplecm-local';
export const artifactsDir = path.join(repoRoot, 'artifacts', 'containers');
const stateFile = path.join(artifactsDir, 'state.json');

export const addresses = {
  redis: '127.30.0.1:6390',
  cassandra: '127.30.0.2:9042',
  dashboard: 'http://127.30.0.3:3000',
  host: (n: number) => `127.30.1.${n}`,
} as const;

/** What global setup made: the secrets dir (the operator's key) and the passwords compose needs. */
export interface SuiteState {
  readonly secretsDir: string;
  readonly env: Record<string, string>;
  readonly timings: Record<string, number>;
}

export function readState(): SuiteState {
  return JSON.parse(fs.readFileSync(stateFile, 'utf8')) as SuiteState;
}

/** A fresh SSH key pair and job keys as an operator would make them (0600, owned by us) and random credentials. */
export function newState(): SuiteState {
  const secretsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'simplecm-containers-'));
  fs.mkdirSync(path.join(secretsDir, 'keys'));
  const keygen = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'simplecm-containers', '-f', path.join(secretsDir, 'keys', 'stack')], { encoding: 'utf8' });
  if (keygen.status !== 0) throw new Error(`ssh-keygen failed: ${keygen.stderr}`);
  // The job keys (issue 15), as docs/containers.md has the operator make them with openssl: the
  // masters' signing key, its public key for the workers, the results' HMAC key (all 0600 but the public key).
  const jobKeys = path.join(secretsDir, 'job-keys');
  fs.mkdirSync(path.join(jobKeys, 'public'), { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.join(jobKeys, 'seal-private'), { mode: 0o700 });
  for (const args of [
    ['genpkey', '-algorithm', 'ed25519', '-out', path.join(jobKeys, 'signing.pem')],
    ['pkey', '-in', path.join(jobKeys, 'signing.pem'), '-pubout', '-out', path.join(jobKeys, 'public', 'master-1.pem')],
    ['rand', '-base64', '-out', path.join(jobKeys, 'result.key'), '32'],
    // The workers' seal key pair: private keys for the workers, the public key for the masters.
    ['genpkey', '-algorithm', 'x25519', '-out', path.join(jobKeys, 'seal-private', 'seal-1.pem')],
    ['pkey', '-in', path.join(jobKeys, 'seal-private', 'seal-1.pem'), '-pubout', '-out', path.join(jobKeys, 'seal-public.pem')],
  ]) {
    const r = spawnSync('openssl', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
  }
  fs.chmodSync(path.join(jobKeys, 'signing.pem'), 0o600);
  fs.chmodSync(path.join(jobKeys, 'result.key'), 0o600);
  fs.chmodSync(path.join(jobKeys, 'seal-private', 'seal-1.pem'), 0o600);
  const secret = () => crypto.randomBytes(24).toString('hex');
  const env = {
    DOCKER_HOST: 'unix:///run/simplecm-docker/docker.sock',
    SIMPLECM_SECRETS_DIR: secretsDir,
    SIMPLECM_REDIS_PASSWORD: secret(),
    SIMPLECM_REDIS_MASTER_PASSWORD: secret(),
    SIMPLECM_REDIS_WORKER_PASSWORD: secret(),
    SIMPLECM_REDIS_RESULTS_PASSWORD: secret(),
    SIMPLECM_REDIS_DASHBOARD_PASSWORD: secret(),
    SIMPLECM_CASSANDRA_PASSWORD: secret(),
    SIMPLECM_DASHBOARD_PASSWORD: secret(),
    SIMPLECM_DASHBOARD_SESSION_SECRET: secret() + secret(),
  };
  return { secretsDir, env, timings: {} };
}

export function writeState(state: SuiteState): void {
  fs.mkdirSync(artifactsDir, { recursive: true });
  fs.writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

export function log(line: string): void {
  process.stderr.write(`[containers] ${line}\n`);
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const dockerBin = fs.existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

/** Runs a command to completion (never throws for a non-zero exit). */
export function run(command: string, args: readonly string[], env: Record<string, string>, timeoutMs = 600_000): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Like run(), but a non-zero exit is an error that carries the output. */
export async function must(command: string, args: readonly string[], env: Record<string, string>, timeoutMs?: number): Promise<string> {
  const r = await run(command, args, env, timeoutMs);
  if (r.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.code}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return r.stdout;
}

export const docker = (args: readonly string[], env: Record<string, string>) => run(dockerBin, args, env);
export const mustDocker = (args: readonly string[], env: Record<string, string>) => must(dockerBin, args, env);
export const compose = (args: readonly string[], env: Record<string, string>, timeoutMs?: number) => run('docker-compose', ['-p', project, '-f', composeFile, ...args], env, timeoutMs);
export const mustCompose = (args: readonly string[], env: Record<string, string>, timeoutMs?: number) => must('docker-compose', ['-p', project, '-f', composeFile, ...args], env, timeoutMs);

/** Ids of the project's containers of one service (running ones unless `all`). */
export async function containersOf(service: string, env: Record<string, string>, all = false): Promise<string[]> {
  const out = await mustDocker(['ps', ...(all ? ['-a'] : []), '-q', '--filter', `label=com.docker.compose.project=${project}`, '--filter', `label=com.docker.compose.service=${service}`], env);
  return out.split('\n').filter(Boolean);
}

/**
 * Starts a one-shot `docker-compose run --no-deps --rm -T run …` (`simplecm run`, submitted to
 * the resident masters; kept under a name if asked);
 * its output so far, its exit. --no-deps: the layout is up, and starting the schema job again
 * would run `state seed`, whose prune drops the hosts a test wrote since.
 */
export function startRun(args: readonly string[], env: Record<string, string>, keepAs?: string): { output: () => string; exited: Promise<number> } {
  const how = keepAs ? ['--name', keepAs] : ['--rm'];
  const child = spawn('docker-compose', ['-p', project, '-f', composeFile, 'run', '--no-deps', ...how, '-T', 'run', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code ?? -1));
  });
  return { output: () => output, exited };
}

/** Environment of the SimpleCM processes as the test runs them on this machine (same services). */
export function clientEnv(state: SuiteState): Record<string, string> {
  return {
    SIMPLECM_REDIS_URL: `redis://simplecm:${state.env.SIMPLECM_REDIS_PASSWORD}@${addresses.redis}`,
    SIMPLECM_QUEUE_PREFIX: 'simplecm',
    SIMPLECM_CASSANDRA_CONTACT_POINTS: addresses.cassandra,
    SIMPLECM_CASSANDRA_DC: 'datacenter1',
    SIMPLECM_CASSANDRA_USERNAME: 'simplecm',
    SIMPLECM_CASSANDRA_PASSWORD: state.env.SIMPLECM_CASSANDRA_PASSWORD!,
    SIMPLECM_KEYSPACE: 'simplecm',
  };
}

/** `docker-compose up -d` with `workers` workers; returns once the long-running services are healthy. */
export async function composeUp(state: SuiteState, workers: number): Promise<void> {
  await mustCompose(['up', '-d', '--no-build', '--scale', `worker=${workers}`], state.env, 600_000);
  await waitHealthy(state, ['redis', 'cassandra', 'results', 'dashboard', 'worker', 'master']);
  await waitForMasters(state, 2);
}

/** Waits until `n` resident masters announce themselves (their heartbeats): `run` submits to them, it has no signing key. */
export async function waitForMasters(state: SuiteState, n: number, timeoutMs = 120_000): Promise<void> {
  const redis = new Redis(clientEnv(state).SIMPLECM_REDIS_URL!, { maxRetriesPerRequest: 1 });
  try {
    const deadline = Date.now() + timeoutMs;
    while ((await liveMasters(redis, 'simplecm')).length < n) {
      if (Date.now() > deadline) throw new Error(`fewer than ${n} masters announced themselves after ${timeoutMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    redis.disconnect();
  }
}

/** Waits until every running container of these services reports healthy. */
export async function waitHealthy(state: SuiteState, services: readonly string[], timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ids = (await Promise.all(services.map((s) => containersOf(s, state.env)))).flat();
    const health = ids.length === 0 ? [] : (await mustDocker(['inspect', '-f', '{{.Name}} {{.State.Health.Status}}', ...ids], state.env)).trim().split('\n');
    const unhealthy = health.filter((line) => !line.endsWith(' healthy'));
    if (ids.length > 0 && unhealthy.length === 0) return;
    if (Date.now() > deadline) throw new Error(`not healthy after ${timeoutMs / 1000} s: ${unhealthy.join(', ') || 'no containers'}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** `docker-compose down -v` (every container, the project's volumes), master runs included. */
export async function composeDown(state: SuiteState): Promise<void> {
  await mustCompose(['--profile', 'run', 'down', '-v', '--remove-orphans', '--timeout', '5'], state.env, 300_000);
}

/** Mounts the engine made that are still there (overlays, volumes, its run dir), one line each. */
export function leftovers(): string[] {
  return fs
    .readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .filter((line) => /\/containers\/docker\/|\/run\/simplecm-docker/.test(line));
}
