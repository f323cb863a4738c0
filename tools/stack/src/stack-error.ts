/** A stack component cannot start: the message says which and what to do. */
export class StackError extends Error {
  override readonly name = 'StackError';
}

export interface ComponentStatus {
  readonly name: string;
  readonly running: boolean;
  /** One line a person reads: where it listens, pid, data dir. */
  readonly detail: string;
}
