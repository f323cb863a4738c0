import fs from 'node:fs';
import path from 'node:path';

/** Repository root: tools/stack/src/ is three levels below it. */
export const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** This package's own files that are not code (the Cassandra node's configuration). */
export const cassandraConfDir = path.resolve(__dirname, '..', 'cassandra');

/**
 * Where the running stack keeps its state (data, pid files, logs, generated keys).
 * Ignored by git; `SIMPLECM_STACK_DIR` moves it (tests never do: they share one stack).
 */
export const stateDir = realPathIfPresent(process.env.SIMPLECM_STACK_DIR ?? path.join(repoRoot, '.stack'));

/**
 * A git worktree links its `.stack` to the main checkout's: the hosts' overlays are mounted on
 * the real path, so every path of the stack is taken through the link once, here.
 */
function realPathIfPresent(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    return dir;
  }
}

/** Downloaded artefacts that survive `stack down` (Cassandra jars). Ignored by git. */
export const cacheDir = process.env.SIMPLECM_CACHE_DIR ?? path.join(repoRoot, '.cache');

export const stackPaths = {
  redisDir: path.join(stateDir, 'redis'),
  cassandraDir: path.join(stateDir, 'cassandra'),
  hostsDir: path.join(stateDir, 'hosts'),
  sshDir: path.join(stateDir, 'ssh'),
  /** Private keys the workers may use, by key name: `<keysDir>/<keyName>`. */
  keysDir: path.join(stateDir, 'ssh', 'keys'),
  knownHosts: path.join(stateDir, 'ssh', 'known_hosts'),
  /** The masters' host-job signing key (private, 0600): only the master's environment names it. */
  jobSigningKey: path.join(stateDir, 'job-keys', 'signing.pem'),
  /** The public keys workers trust, one `*.pem` a key (several while a key is rotated). */
  jobPublicKeysDir: path.join(stateDir, 'job-keys', 'public'),
  /** The workers' X25519 private keys that open sealed sensitive values, `<date>.pem` 0600 in a 0700 directory (several while a key is rotated): workers only. */
  sealPrivateKeysDir: path.join(stateDir, 'job-keys', 'seal-private'),
  /** The public key masters seal sensitive values to (the newest pair's). */
  sealPublicKey: path.join(stateDir, 'job-keys', 'seal-public.pem'),
  /** The key workers and results consumers authenticate result jobs with (0600). */
  resultKey: path.join(stateDir, 'job-keys', 'result.key'),
  /** The Redis role users' passwords and URLs (redis-users.ts), 0600 files in a 0700 directory. */
  redisUsersDir: path.join(stateDir, 'redis-users'),
  inventory: path.join(stateDir, 'inventory.json'),
  cassandraLib: path.join(cacheDir, 'cassandra', 'lib'),
  /** Pid files of processes started beside the stack (the demo's dashboard) that `down` stops. */
  stopOnDownDir: path.join(stateDir, 'stop-on-down'),
} as const;
