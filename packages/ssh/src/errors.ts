import { assertNever, SimpleCmError } from '@simplecm/kernel';
import type { SshErrorCode } from '@simplecm/domain';

export type { SshErrorCode } from '@simplecm/domain';

/** A host could not be reached or driven; `code` is one of the domain's host error causes. */
export class SshError extends SimpleCmError<SshErrorCode> {
  override readonly name = 'SshError';
  constructor(
    readonly code: SshErrorCode,
    readonly hostname: string,
    /** What went wrong, without the host and code (those are fields). */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`host ${hostname}: ${code}: ${detail}`, { ...options, retryable: isRetryable(code) });
  }
}

/** Connection-level trouble may pass; a wrong host key or a refused or missing key will not. */
function isRetryable(code: SshErrorCode): boolean {
  switch (code) {
    case 'unreachable':
    case 'timeout':
      return true;
    case 'host-key-mismatch':
    case 'auth-failed':
    case 'key-missing':
      return false;
    default:
      return assertNever(code);
  }
}
