/**
 * Slows password guessing: after `maxFailures` failed logins for one user name from one address
 * within `windowMs`, that pair is refused until the window has passed. Keyed on the pair, so a
 * lock-out never blocks the right password from another address, and guessing at many user
 * names from one address is slowed per name. In memory, per process, in a bounded LRU: under a
 * spray of addresses the least recently seen entries go first, never the whole table.
 */
export interface LoginAttempt {
  readonly user: string;
  readonly address: string;
}

export interface LoginThrottle {
  /** Milliseconds until this user may try again from this address; 0 when it may now. */
  retryAfterMs(attempt: LoginAttempt): number;
  failed(attempt: LoginAttempt): void;
  succeeded(attempt: LoginAttempt): void;
}

export interface LoginThrottleOptions {
  /** Failures within the window before the pair is refused. @defaultValue 10 */
  readonly maxFailures?: number;
  /** @defaultValue 15 minutes */
  readonly windowMs?: number;
  /** Entries kept at most; the least recently used goes first. @defaultValue 10,000 */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

export function loginThrottle({ maxFailures = 10, windowMs = 15 * 60_000, maxEntries = 10_000, now = Date.now }: LoginThrottleOptions = {}): LoginThrottle {
  // A Map iterates in insertion order: deleting and setting again moves an entry to the end.
  const failures = new Map<string, { count: number; since: number }>();
  const keyOf = ({ user, address }: LoginAttempt) => `${address}\u0000${user}`;
  const current = (key: string) => {
    const entry = failures.get(key);
    if (entry && now() - entry.since >= windowMs) {
      failures.delete(key);
      return undefined;
    }
    return entry;
  };
  return {
    retryAfterMs(attempt) {
      const entry = current(keyOf(attempt));
      return entry && entry.count >= maxFailures ? entry.since + windowMs - now() : 0;
    },
    failed(attempt) {
      const key = keyOf(attempt);
      const entry = current(key) ?? { count: 0, since: now() };
      entry.count += 1;
      failures.delete(key);
      failures.set(key, entry);
      while (failures.size > maxEntries) failures.delete(failures.keys().next().value as string);
    },
    succeeded(attempt) {
      failures.delete(keyOf(attempt));
    },
  };
}
