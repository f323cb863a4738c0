import { assertNever } from '@simplecm/kernel';
import { liveOutputKey } from './live-output';
import { mastersKey } from './master-presence';
import { HOSTS_QUEUE, RUN_REQUESTS_QUEUE } from './names';
import { resultStreamKey, runHandedKey } from './result-stream';
import { runEventsKey } from './run-events';

/**
 * Least-privilege Redis users (ACL), one per role. Rules are Redis 7 `ACL SETUSER` tokens; the
 * same tokens make an ACL file line or a `redis-server --user` argument (redisAclUserLine).
 *
 * What keeps the roles apart is the keys, not the commands: BullMQ does its work in Lua
 * scripts, and Redis checks every command a script runs against the caller's key patterns
 * (`~` read-write, `%R~` read-only), including the keys the script builds from a prefix. So each
 * role gets the commands BullMQ needs and only the keys of its own part:
 *
 * - master: the hosts queue in full (adding a job increments `<prefix>:hosts:id`), run keys,
 *   run progress read-only; the run-requests queue, master heartbeats, cancel marks, run events
 *   (`cancel` appends the end of a cancel, `run --wait` reads them) and schedules (the resident
 *   master, `run`, `cancel`, `schedule`).
 * - worker: the hosts queue's keys a consumer touches, *not* `<prefix>:hosts:id` (every BullMQ
 *   add script increments it, so `Queue.add` on the hosts queue is refused); the result stream
 *   write-only (`%W~`: it appends results, result-stream.ts, and cannot read any) and the runs'
 *   handed sets; host locks; run progress read-only; live output streams (`<prefix>:live:*`,
 *   it appends each operation as it finishes). Without XDEL, XACK, XCLAIM, XAUTOCLAIM, XGROUP
 *   and XSETID (WORKER_DENIED): it cannot delete or acknowledge an entry.
 * - results: the result stream and its refused stream (`<p>:result-stream*`); run progress,
 *   handed sets and run events (`<prefix>:run:<id>:events`, under the same pattern) read-write.
 * - dashboard: the hosts queue, the result stream (its backlog: XINFO GROUPS), run progress and
 *   live output streams read-only, with no command that writes (see READ_COMMANDS);
 *   with `--queue-actions` (retry, clean, pause, resume) the hosts queue's consumer keys with
 *   the write commands, still not `id`; with `--run-control` the same, plus the run-requests
 *   queue in full, cancel marks and run events, and master heartbeats read-only (it never
 *   enqueues a host job).
 *
 * With queue partitions (SIMPLECM_QUEUE_PARTITIONS) the per-host keys above (the hosts queue,
 * the result stream, host locks, run progress) are granted under every partition's prefix
 * (`partitions` option).
 *
 * What a key pattern cannot express is in docs/security.md ("Redis users").
 */
export const RedisRole = { master: 'master', worker: 'worker', results: 'results', dashboard: 'dashboard' } as const;
export type RedisRole = (typeof RedisRole)[keyof typeof RedisRole];
export const redisRoles: readonly RedisRole[] = Object.values(RedisRole);

export interface RedisAclOptions {
  /** The dashboard may retry, clean, pause and resume jobs (`--queue-actions`). @defaultValue false */
  readonly queueActions?: boolean;
  /**
   * The dashboard launches, relaunches and cancels runs (`--run-control`): it adds run requests
   * and reads their answers, reads master heartbeats, removes waiting host jobs and writes cancel
   * marks. @defaultValue false
   */
  readonly runControl?: boolean;
  /**
   * The queue partitions' prefixes (queuePartitionPrefixes of the installation's config).
   * @defaultValue `[prefix]`: one partition, the queue prefix
   */
  readonly partitions?: readonly string[];
}

/**
 * Commands every role needs: BullMQ's scripts, reads and writes, blocking pops and streams, the
 * connection's own commands and INFO (ioredis' ready check and BullMQ's version check); nothing
 * that administers the server or walks all keys (`@admin`, `@dangerous`: CONFIG, KEYS, FLUSHALL,
 * DEBUG, SCRIPT FLUSH, CLIENT KILL …). No pub/sub channels.
 */
const COMMANDS = ['resetchannels', '-@all', '+@read', '+@write', '+@keyspace', '+@list', '+@hash', '+@set', '+@sortedset', '+@string', '+@stream', '+@blocking', '+@scripting', '+@transaction', '+@connection', '-@admin', '-@dangerous', '+info', '+client|setname', '+client|getname', '+client|id'] as const;

/**
 * A reader's commands: reads, scripts and the connection's own, no command that writes. Key
 * patterns cannot make a reader of BullMQ: Redis treats every key a script declares as one it
 * may write, so a `%R~` key passed to EVALSHA is refused before the script runs (BullMQ's
 * getCounts, getRanges). The dashboard has its keys read-write and no write command instead:
 * a script runs with its caller's command permissions, so one that writes is refused inside.
 */
const READ_COMMANDS = ['resetchannels', '-@all', '+@read', '+@connection', '+evalsha', '+eval', '-@admin', '-@dangerous', '+info', '+client|setname', '+client|getname', '+client|id'] as const;

/**
 * Stream commands the worker never sends (neither do BullMQ's worker scripts): with them it
 * could drop or acknowledge result entries it may append to. XTRIM stays (BullMQ trims its
 * event streams with it); see docs/security.md.
 */
const WORKER_DENIED = ['-xdel', '-xack', '-xclaim', '-xautoclaim', '-xgroup', '-xsetid'] as const;

/** The keys a consumer of `queue` touches (its job ids start `jobPrefix`): every BullMQ key of the queue but `id`. */
function consumerKeys(prefix: string, queue: string, jobPrefix: string): string[] {
  const base = `${prefix}:${queue}:`;
  const lists = ['', 'active', 'wait', 'waiting-children', 'paused', 'delayed', 'prioritized', 'stalled-check', 'completed', 'failed', 'stalled', 'limiter', 'meta', 'events', 'pc', 'marker', 'repeat'];
  return [...lists.map((k) => `~${base}${k}`), `~${base}metrics:*`, `~${base}de:*`, `~${base}${jobPrefix}*`];
}

/**
 * The `ACL SETUSER` rules (after the user name, password and `on`) of `role` on queue prefix
 * `prefix`. With queue partitions (`partitions`: their prefixes, queuePartitionPrefixes) each
 * role's keys of the hosts queue, the result stream, host locks and run progress are granted under
 * every partition's prefix, and the run-level keys (run requests, run keys, run events, cancel
 * marks, heartbeats, schedules, live output) under `prefix`. Without, or with one partition,
 * exactly the rules from before partitions.
 */
export function redisAclRules(role: RedisRole, prefix: string, { queueActions = false, runControl = false, partitions = [prefix] }: RedisAclOptions = {}): string[] {
  const hostsConsumer = (p: string) => consumerKeys(p, HOSTS_QUEUE, 'run.');
  const stream = (p: string) => resultStreamKey(p);
  const progress = (p: string) => `${p}:run:*`;
  const each = (keysOf: (p: string) => string[]) => partitions.flatMap(keysOf);
  // Run events (run-events.ts): the results consumer's under `progress` when the one partition is
  // the prefix; a cancel appends one too.
  const runEvents = `~${runEventsKey(prefix, '*')}`;
  const live = liveOutputKey(prefix, '*');
  let keys: string[];
  switch (role) {
    case 'master':
      // Also what `simplecm master`, `run` (submitting), `cancel` and `schedule` touch: the run
      // requests queue (its job schedulers included), master heartbeats, cancel marks, schedules.
      keys = [
        ...each((p) => [`~${p}:${HOSTS_QUEUE}:*`]),
        `~${prefix}:run-key:*`,
        ...each((p) => [`%R~${progress(p)}`]),
        `~${prefix}:${RUN_REQUESTS_QUEUE}:*`,
        `~${mastersKey(prefix)}`,
        `~${prefix}:run:*:cancel`,
        runEvents,
        `~${prefix}:schedules`,
        `~${prefix}:schedule:*`,
      ];
      break;
    case 'worker':
      keys = [...each((p) => [...hostsConsumer(p), `%W~${stream(p)}`, `~${runHandedKey(p, '*')}`, `~${p}:host-lock:*`, `%R~${progress(p)}`]), `~${live}`];
      return ['resetkeys', ...keys, ...COMMANDS, ...WORKER_DENIED];
    case 'results':
      keys = [...each((p) => [`~${stream(p)}*`, `~${progress(p)}`]), ...(partitions.includes(prefix) ? [] : [runEvents])];
      break;
    case 'dashboard':
      if (!queueActions && !runControl) return ['resetkeys', ...each((p) => [`~${p}:${HOSTS_QUEUE}:*`, `%R~${stream(p)}`, `%R~${progress(p)}`]), `%R~${live}`, ...READ_COMMANDS];
      keys = [...each((p) => [...hostsConsumer(p), `%R~${stream(p)}`, `%R~${progress(p)}`]), `%R~${live}`];
      // Submitting a request adds a job (`<prefix>:run-requests:id` included); cancel removes host jobs (consumer keys above).
      if (runControl) keys.push(`~${prefix}:${RUN_REQUESTS_QUEUE}:*`, `%R~${mastersKey(prefix)}`, `~${prefix}:run:*:cancel`, runEvents);
      break;
    default:
      return assertNever(role);
  }
  return ['resetkeys', ...keys, ...COMMANDS];
}

/** The Redis user name of a role: `<namePrefix><role>`, by default `simplecm-<role>`. */
export function redisRoleUser(role: RedisRole, namePrefix = 'simplecm-'): string {
  return `${namePrefix}${role}`;
}

/**
 * The full `ACL SETUSER` argument list for a role's user (after the command): reset, on, the
 * password (`>` + clear text, or `#` + its SHA-256 in hex for files), then the rules.
 */
export function redisAclUserArgs(user: string, password: { readonly clear: string } | { readonly sha256: string }, rules: readonly string[]): string[] {
  const pass = 'clear' in password ? `>${password.clear}` : `#${password.sha256}`;
  return [user, 'reset', 'on', pass, ...rules];
}

/** One line of a Redis ACL file (`user <name> …`): the same rules, for `aclfile` or `redis-server --user`. */
export function redisAclUserLine(args: readonly string[]): string {
  return `user ${args.join(' ')}`;
}
