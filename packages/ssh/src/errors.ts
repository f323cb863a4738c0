/** Why a host could not be reached or driven. */
export type SshErrorCode = 'unreachable' | 'host-key-mismatch' | 'auth-failed' | 'timeout' | 'key-missing';

export class SshError extends Error {
  override readonly name = 'SshError';
  constructor(
    readonly code: SshErrorCode,
    readonly hostname: string,
    /** What went wrong, without the host and code (those are fields). */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`host ${hostname}: ${code}: ${detail}`, options);
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
