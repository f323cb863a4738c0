/** Why a host could not be reached or driven. */
export type SshErrorCode = 'unreachable' | 'host-key-mismatch' | 'auth-failed' | 'timeout' | 'key-missing';

export class SshError extends Error {
  override readonly name = 'SshError';
  constructor(
    readonly code: SshErrorCode,
    readonly hostname: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`host ${hostname}: ${code}: ${message}`, options);
  }

  /** Connection-level trouble may pass; a wrong host key or a refused key will not. */
  get retryable(): boolean {
    return this.code === 'unreachable' || this.code === 'timeout';
  }
}

/** Every catch gets an Error, whatever was thrown. */
export function coerceError(value: unknown): Error {
  return value instanceof Error ? value : new Error(typeof value === 'string' ? value : JSON.stringify(value));
}
