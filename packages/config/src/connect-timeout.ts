import { intFlag } from './cli';
import { ConfigError } from './errors';

/** How the commands that only read or write Cassandra (`runs`, `results`, `state …`) are told their connect timeout, for `--help`. */
export const CONNECT_TIMEOUT_ENV = 'SIMPLECM_CONNECT_TIMEOUT (seconds, default 10): give up on Cassandra after it (exit 3)';

/**
 * The connect timeout in milliseconds: `flag` (`--connect-timeout S`) when given, else
 * SIMPLECM_CONNECT_TIMEOUT, else 10 s; a ConfigError naming whichever is not 1…600 seconds.
 */
export function connectTimeoutMs(env: NodeJS.ProcessEnv, flag?: string): number {
  const given = flag ?? (env.SIMPLECM_CONNECT_TIMEOUT || undefined);
  if (given === undefined) return 10_000;
  const parsed = intFlag(1, 600).safeParse(given);
  if (!parsed.success) throw new ConfigError(`${flag === undefined ? 'SIMPLECM_CONNECT_TIMEOUT' : '--connect-timeout'}: must be a whole number of seconds from 1 to 600 (got ${JSON.stringify(given)})`);
  return parsed.data * 1000;
}
