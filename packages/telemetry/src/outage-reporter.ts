import { errorMessage } from '@simplecm/kernel';

/** What a service is to the reporter: its name, where it is, and which setting points there. */
export interface ServiceAddress {
  /** `Redis` or `Cassandra`. */
  readonly service: string;
  /** `127.0.0.1:6380`, never with a password. */
  readonly address: string;
  /** The setting that points there, e.g. `SIMPLECM_REDIS_URL`. */
  readonly setting: string;
}

export interface OutageReporter {
  /** A connection attempt or a command failed for want of the service: logged on the first only. */
  down(error: unknown): void;
  /** The service answered: logged if it was down. */
  up(): void;
  /** Whether the last thing heard was an answer (what /readyz shows). */
  reachable(): boolean;
}

/**
 * Logs each outage of a service once per change of state, not once per reconnection attempt:
 * `Redis at 127.0.0.1:6380 unreachable (SIMPLECM_REDIS_URL): connect ECONNREFUSED …; retrying`
 * and later `Redis reachable again after 12 s`. Starts reachable (nothing heard yet).
 */
export function outageReporter(
  { service, address, setting }: ServiceAddress,
  log: { warn(fields: object, msg: string): void; info(fields: object, msg: string): void },
  now: () => number = Date.now,
): OutageReporter {
  let downSince: number | undefined;
  return {
    down(error) {
      if (downSince !== undefined) return;
      downSince = now();
      const cause = errorMessage(error).split('\n')[0];
      log.warn({ service, address, setting }, `${service} at ${address} unreachable (${setting}): ${cause}; retrying`);
    },
    up() {
      if (downSince === undefined) return;
      const seconds = Math.round((now() - downSince) / 1000);
      downSince = undefined;
      log.info({ service, address, outageSeconds: seconds }, `${service} reachable again after ${seconds} s`);
    },
    reachable: () => downSince === undefined,
  };
}
