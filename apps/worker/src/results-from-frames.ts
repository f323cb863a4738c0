import type { Operation, OperationResult, OperationStatus } from '@simplecm/domain';
import { redactSensitive } from '@simplecm/modules';
import { HANDLER_SKIPPED_EXIT, type OperationFrame } from '@simplecm/ssh';

/** `timeout` exits 124 when it had to stop the operation (137 when it had to SIGKILL it). */
const TIMEOUT_EXIT_CODES = new Set([124, 137]);

export function isTimeoutExit(exitCode: number): boolean {
  return TIMEOUT_EXIT_CODES.has(exitCode);
}

function lines(buffer: Buffer): string[] {
  return buffer
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0);
}

/** Why a handler did not run: `skipped: no change in "write config"` (or `… in "a" or "b"`). */
export function handlerSkippedReason(whenChanged: readonly string[]): string {
  return whenChanged.length === 0 ? 'skipped: none of its triggers is in this run' : `skipped: no change in ${whenChanged.map((n) => `"${n}"`).join(' or ')}`;
}

export function resultFromFrame(op: Operation, frame: OperationFrame, sensitive: readonly string[] = []): OperationResult {
  // A handler the driver did not run: skipped like any operation that did not run, but with the
  // time the driver decided, and the reason in stderr where the other skips keep theirs.
  if (frame.exitCode === HANDLER_SKIPPED_EXIT) return { ...notRunResult(op, 'skipped', handlerSkippedReason(op.whenChanged ?? [])), startedAt: frame.startedAt };
  const changes = lines(frame.changes).map((line) => redactSensitive(line, sensitive));
  let status: OperationStatus;
  if (frame.exitCode !== 0) status = 'failed';
  else status = changes.length > 0 ? 'changed' : 'ok';
  return {
    seq: op.seq,
    name: op.name,
    module: op.module,
    status,
    exitCode: frame.exitCode,
    stdout: redactSensitive(frame.stdout.toString('utf8'), sensitive),
    stdoutTruncated: frame.stdoutTruncated,
    stderr: redactSensitive(frame.stderr.toString('utf8'), sensitive),
    stderrTruncated: frame.stderrTruncated,
    changes,
    startedAt: frame.startedAt,
    durationMs: frame.durationMs,
  };
}

/** An operation that did not run: skipped after a failure, never reached (unreachable), or its job refused (rejected). */
export function notRunResult(op: Operation, status: 'skipped' | 'unreachable' | 'failed' | 'rejected', why: string): OperationResult {
  return {
    seq: op.seq,
    name: op.name,
    module: op.module,
    status,
    exitCode: null,
    stdout: '',
    stdoutTruncated: false,
    stderr: why,
    stderrTruncated: false,
    changes: [],
    startedAt: null,
    durationMs: 0,
  };
}
