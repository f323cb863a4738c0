import { SimpleCmError } from '@simplecm/kernel';

/**
 * Redis or Cassandra did not answer within the connect timeout: the message says which one, at
 * which address, and which setting points there. Exit code 3 (infrastructure unavailable).
 */
export class ServiceUnavailableError extends SimpleCmError<'service-unavailable'> {
  override readonly name = 'ServiceUnavailableError';
  readonly code = 'service-unavailable' as const;

  constructor(
    readonly service: 'Redis' | 'Cassandra',
    readonly address: string,
    readonly setting: string,
    reason: string,
    options: { cause?: unknown } = {},
  ) {
    super(`${service} is unreachable at ${address} (set by ${setting}): ${reason}`, { ...options, retryable: true });
  }
}

/** Rejects with `onTimeout()` when `promise` has not settled after `ms`; the timer never keeps the process alive. */
export async function withinTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
