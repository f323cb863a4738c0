import { SimpleCmError } from '@simplecm/kernel';

/** Where in a state directory something is: a file relative to the directory, 1-based line and column. */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** One thing wrong with a state directory. */
export interface StateProblem extends SourcePosition {
  readonly message: string;
}

/** `file:line:column: message`, the form compilers and editors understand. */
export function formatProblem(problem: StateProblem): string {
  return `${problem.file}:${problem.line}:${problem.column}: ${problem.message}`;
}

/** Problems in file, line, column order (each file's in the order they occur). */
export function sortProblems(problems: readonly StateProblem[]): StateProblem[] {
  return [...problems].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column));
}

/** A state directory that does not compile: every problem found, not only the first. */
export class InvalidStateError extends SimpleCmError<'invalid-state'> {
  override readonly name = 'InvalidStateError';
  readonly code = 'invalid-state' as const;
  constructor(readonly problems: readonly StateProblem[]) {
    super(`${problems.length} problem(s) in the state directory:\n${problems.map(formatProblem).join('\n')}`);
  }
}
