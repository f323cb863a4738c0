import { SimpleCmError } from '@simplecm/kernel';

/** A stack component cannot start: the message says which and what to do. */
export class StackError extends SimpleCmError<'stack-component-failed'> {
  override readonly name = 'StackError';
  readonly code = 'stack-component-failed' as const;
}

export interface ComponentStatus {
  readonly name: string;
  readonly running: boolean;
  /** One line a person reads: where it listens, pid, data dir. */
  readonly detail: string;
}
