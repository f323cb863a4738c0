import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { redisAclRules, redisAclUserArgs, redisAclUserLine, redisConnection, redisRoles, redisRoleUser, type RedisRole } from '@simplecm/queue';
import { writeFileWithMode } from './file-writes';
import { stackPaths } from './paths';
import { redisUrl } from './redis';

/** The stack's queue prefix, which the role users are made for (SIMPLECM_QUEUE_PREFIX unset). */
const STACK_QUEUE_PREFIX = 'simplecm';

export interface RedisUsersOptions {
  /** The Redis to make them on, as its default (all-powerful) user. @defaultValue the stack's */
  readonly url?: string;
  /** The queue prefix their keys are limited to. @defaultValue `'simplecm'` */
  readonly queuePrefix?: string;
  /** User names are `<namePrefix><role>`. @defaultValue `'simplecm-'` */
  readonly namePrefix?: string;
  /** Where passwords and URLs are kept. @defaultValue .stack/redis-users */
  readonly dir?: string;
}

/**
 * The stack Redis' least-privilege users (redisAclRules), one per role, `simplecm-<role>`. Their
 * passwords are made once under .stack/redis-users/ (0600, never committed) and kept across
 * `stack up`; `<role>.env` holds the role's SIMPLECM_REDIS_URL, to source before starting that
 * role's process. Applied with ACL SETUSER, so it works on a Redis just started and on one that
 * is already running (no restart: other processes keep their connections). The default user is
 * left as it is: the stack's tests and tools use it.
 */
export async function ensureRedisUsers(log: (line: string) => void, options: RedisUsersOptions = {}): Promise<Record<RedisRole, string>> {
  const { url = redisUrl, queuePrefix = STACK_QUEUE_PREFIX, namePrefix = 'simplecm-', dir = stackPaths.redisUsersDir } = options;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const urls = {} as Record<RedisRole, string>;
  const redis = redisConnection({ url, prefix: queuePrefix }) as Redis;
  try {
    for (const role of redisRoles) {
      const user = redisRoleUser(role, namePrefix);
      const password = rolePassword(dir, role);
      await redis.call('ACL', 'SETUSER', ...redisAclUserArgs(user, { clear: password }, redisAclRules(role, queuePrefix)));
      const roleUrl = new URL(url);
      roleUrl.username = user;
      roleUrl.password = password;
      urls[role] = roleUrl.toString();
      writeFileWithMode(path.join(dir, `${role}.env`), `export SIMPLECM_REDIS_URL=${urls[role]}\n`, 0o600);
    }
  } finally {
    redis.disconnect();
  }
  log(`redis: users ${redisRoles.map((r) => redisRoleUser(r, namePrefix)).join(', ')} for queue prefix ${queuePrefix} (passwords and URLs in ${dir})`);
  return urls;
}

/** A role's password: the one in `<role>.password`, made (24 random bytes, hex) when there is none. */
function rolePassword(dir: string, role: RedisRole): string {
  const file = path.join(dir, `${role}.password`);
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const password = randomBytes(24).toString('hex');
  writeFileWithMode(file, `${password}\n`, 0o600);
  return password;
}

/** The placeholder of a role's password in the ACL file template (`@SIMPLECM_REDIS_WORKER_PASSWORD@`). */
export function redisRolePasswordVariable(role: RedisRole): string {
  return `SIMPLECM_REDIS_${role.toUpperCase()}_PASSWORD`;
}

/**
 * docker/redis-users.acl, the Redis ACL file of the container layouts (docker-compose.yml,
 * docker/compose.local.yml): the default user off, the operator's `simplecm` user (every
 * permission; no SimpleCM process gets its password) and one user per role on the queue prefix
 * `simplecm`, each password an `@VARIABLE@` the Redis container fills in from its environment
 * before it starts. Kept equal to this function by test/integration/compose.test.ts.
 */
export function redisUsersAclTemplate(queuePrefix = STACK_QUEUE_PREFIX): string {
  const lines = [
    '# Generated from redisAclRules (packages/queue/src/redis-acl.ts) by redisUsersAclTemplate',
    '# (tools/stack/src/redis-users.ts); test/integration/compose.test.ts keeps them equal.',
    '# The Redis container fills in each @NAME@ with its environment variable NAME (hex passwords).',
    'user default off',
    'user simplecm on >@SIMPLECM_REDIS_PASSWORD@ ~* &* +@all',
    ...redisRoles.map((role) => redisAclUserLine(redisAclUserArgs(redisRoleUser(role), { clear: `@${redisRolePasswordVariable(role)}@` }, redisAclRules(role, queuePrefix)))),
  ];
  return `${lines.join('\n')}\n`;
}
