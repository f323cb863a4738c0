/**
 * Slows password guessing: after `maxFailures` failed logins from one address within `windowMs`,
 * that address is refused until the window has passed. In memory, per process.
 */
export interface LoginThrottle {
  /** Milliseconds until `client` may try again; 0 when it may now. */
  retryAfterMs(client: string): number;
  failed(client: string): void;
  succeeded(client: string): void;
}

export function loginThrottle({ maxFailures = 10, windowMs = 15 * 60_000, now = Date.now } = {}): LoginThrottle {
  const failures = new Map<string, { count: number; since: number }>();
  const current = (client: string) => {
    const entry = failures.get(client);
    if (entry && now() - entry.since >= windowMs) {
      failures.delete(client);
      return undefined;
    }
    return entry;
  };
  return {
    retryAfterMs(client) {
      const entry = current(client);
      return entry && entry.count >= maxFailures ? entry.since + windowMs - now() : 0;
    },
    failed(client) {
      const entry = current(client);
      if (entry) entry.count += 1;
      else {
        if (failures.size > 10_000) failures.clear(); // bounded memory under a spray of addresses
        failures.set(client, { count: 1, since: now() });
      }
    },
    succeeded(client) {
      failures.delete(client);
    },
  };
}
