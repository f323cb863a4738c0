/**
 * The base of every SimpleCM error. `code` is a stable, machine-readable reason (an `as const`
 * union per subclass); `retryable` says whether trying the same thing again may succeed (default
 * false); `cause` (standard `Error.cause`) keeps the underlying error. Each subclass sets its own
 * `name`, so messages and logs read `InvalidRowError: …`.
 */
export abstract class SimpleCmError<Code extends string = string> extends Error {
  override readonly name: string = 'SimpleCmError';
  abstract readonly code: Code;
  readonly retryable: boolean;

  constructor(message: string, options: SimpleCmErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.retryable = options.retryable ?? false;
  }
}

export interface SimpleCmErrorOptions {
  /** The error this one explains or wraps. */
  readonly cause?: unknown;
  /** @defaultValue `false` */
  readonly retryable?: boolean;
}
