import {
  HostErrorCause,
  describeOperation,
  hostStatusOf,
  type HostResult,
  type OperationResult,
} from '@simplecm/domain';
import { MODULE_FUNCTIONS, MODULE_PRELUDE_HEADER, renderOperation, sensitiveValuesOf, type ModuleRegistry } from '@simplecm/modules';
import type { HostJobData } from '@simplecm/queue';
import { coerceError } from '@simplecm/kernel';
import { buildDriverScript, connectHost, forgetJournal, journalKey, newFrameMarker, runDriver, SshError, type HostKeyPolicy, type OperationFrame } from '@simplecm/ssh';
import { handlerTriggers } from './handler-triggers';
import { isTimeoutExit, notRunResult, resultFromFrame } from './results-from-frames';

/** What converging a host needs besides the job: all resolved once per worker process. */
export interface ConvergeContext {
  readonly modules: ModuleRegistry;
  readonly hostKeys: HostKeyPolicy;
  /** The private key for a key name, from the worker's own keys directory. */
  readonly privateKey: (keyName: string) => Buffer;
  readonly connectTimeoutMs: number;
  readonly hostDeadlineMs: number;
  readonly outputLimitBytes: number;
  readonly workerName: string;
  /** Told how long each successful SSH connection took to open (the worker's histogram). */
  readonly onConnected?: (ms: number) => void;
  /**
   * Told each operation's result as its frame arrives from the driver, redacted as the host's
   * result will be (the live output stream); must not throw or block. None: not told.
   */
  readonly onOperation?: (job: HostJobData, result: OperationResult) => void;
  /** Where the host's journal is noticed (attached to, not removed); none: not logged. */
  readonly log?: (line: string) => void;
  /** The journal root on hosts (tests only). @defaultValue by SSH user, see journalRootShell */
  readonly journalRoot?: string;
  /**
   * Test hook: told once the driver script is sent, with a function that drops the SSH
   * connection from the worker's side (as a worker losing its network would).
   */
  readonly onDriverStarted?: (dropConnection: () => void) => void;
}

/** How long the host has to confirm its journal is removed after the hand-off. */
const FORGET_TIMEOUT_MS = 10_000;

function hostResult(job: HostJobData, workerName: string, startedAt: number, operations: OperationResult[], cause: string | null): HostResult {
  return {
    runId: job.runId,
    hostname: job.host.hostname,
    status: hostStatusOf(operations.map((o) => o.status)),
    worker: workerName,
    startedAt,
    endedAt: Date.now(),
    cause,
    operations,
  };
}

/** The result of a host that could not be reached: every operation `unreachable`, with the cause. */
export function unreachableResult(job: HostJobData, workerName: string, startedAt: number, error: SshError): HostResult {
  return notConvergedResult(job, workerName, startedAt, error.code, error.detail, error.message);
}

/**
 * The result of a host whose outcome cannot be known (never reached, or its job given up after
 * workers died on it): every operation `unreachable`, the cause `<code>: <detail>`.
 */
export function notConvergedResult(job: HostJobData, workerName: string, startedAt: number, code: HostErrorCause, detail: string, why = `${code}: ${detail}`): HostResult {
  const operations = job.operations.map((op) => notRunResult(op, 'unreachable', why));
  return { ...hostResult(job, workerName, startedAt, operations, `${code}: ${detail}`), status: 'unreachable' };
}

/**
 * The result of a host whose job the worker refused before rendering or connecting (not signed
 * by the master as it is, expired, not its own id): the host and every operation `rejected`,
 * the cause `rejected: <why>`. Nothing ran, so no operation can be anything else.
 */
export function rejectedResult(job: HostJobData, workerName: string, refusal: string): HostResult {
  const why = `${HostErrorCause.rejected}: ${refusal}`;
  const operations = job.operations.map((op) => notRunResult(op, 'rejected', why));
  const now = Date.now();
  return { ...hostResult(job, workerName, now, operations, why), status: 'rejected' };
}

/**
 * Renders every operation or says which one cannot be (the worker's modules may differ from the
 * master's). renderOperation validates the attributes against the worker's own modules first,
 * which is the one check an operation gets here.
 */
function renderAll(job: HostJobData, ctx: ConvergeContext): { scripts: string[] } | { failedAt: number; message: string } {
  const scripts: string[] = [];
  for (const [index, op] of job.operations.entries()) {
    try {
      scripts.push(`${MODULE_PRELUDE_HEADER}${renderOperation(ctx.modules, op, job.host.hostname)}`);
    } catch (error) {
      return { failedAt: index, message: coerceError(error).message };
    }
  }
  return { scripts };
}

/**
 * The host job's driver script. Built here, not inline in convergeHost: a closure there lives as
 * long as the host runs, and one that named the rendered scripts would keep them (and, through
 * them, the script) on the heap for that long — at 200 hosts at once, megabytes of old space.
 */
function driverScript(job: HostJobData, scripts: readonly string[], ctx: ConvergeContext, marker: string, key: string): string {
  const { host, operations, options } = job;
  const triggers = handlerTriggers(operations);
  return buildDriverScript(
    operations.map((op, i) => ({
      whenChanged: triggers[i],
      seq: op.seq,
      script: scripts[i] as string,
      timeoutSeconds: options.operationTimeoutSeconds,
      become: op.become ?? host.become ?? undefined,
    })),
    { mode: options.mode, keepGoing: options.keepGoing, outputLimitBytes: ctx.outputLimitBytes, marker, functions: MODULE_FUNCTIONS, journalKey: key, journalRoot: ctx.journalRoot },
  );
}

/**
 * Converges one host: renders its operations, opens one verified SSH connection, runs them all
 * through one driver script, and maps each operation's frame to its result. Connection errors,
 * a connection lost while the driver ran included, are thrown as SshError (the caller retries or
 * records the host unreachable; a retry attaches to the driver's journal on the host, so no
 * operation runs twice); everything else that happens after the connection is reported in the
 * returned result.
 *
 * `handOff`, when given, is called with the result while the connection is still open; once it
 * resolved, the host job's journal is removed from the host (a failure to remove it is only
 * logged: the next driver on the host removes it once expired).
 */
export async function convergeHost(job: HostJobData, ctx: ConvergeContext, signal?: AbortSignal, handOff?: (result: HostResult) => Promise<void>): Promise<HostResult> {
  const startedAt = Date.now();
  const { host, operations, options } = job;
  const rendered = renderAll(job, ctx);
  if ('failedAt' in rendered) {
    // (`rendered` itself is named by no closure: see driverScript.)
    const { failedAt, message } = rendered;
    const results = operations.map((op, i) =>
      i < failedAt ? notRunResult(op, 'skipped', 'not run: a later operation is invalid') : i === failedAt ? notRunResult(op, 'failed', message) : notRunResult(op, 'skipped', 'not run: an earlier operation is invalid'),
    );
    return hostResult(job, ctx.workerName, startedAt, results, `${HostErrorCause.invalidJob}: ${message}`);
  }
  if (operations.length === 0) return hostResult(job, ctx.workerName, startedAt, [], null);

  let privateKey: Buffer;
  try {
    privateKey = ctx.privateKey(host.keyName);
  } catch (error) {
    throw new SshError('key-missing', host.hostname, coerceError(error).message, { cause: error });
  }
  const connectStart = performance.now();
  const client = await connectHost(host, { privateKey, hostKeys: ctx.hostKeys, connectTimeoutMs: ctx.connectTimeoutMs, signal });
  ctx.onConnected?.(performance.now() - connectStart);
  const frames = new Map<number, OperationFrame>();
  // Each frame's result, made once as the frame arrives (published live, then handed off).
  const made = new Map<number, OperationResult>();
  const bySeq = new Map(operations.map((op) => [op.seq, op]));
  const onFrame = (frame: OperationFrame) => {
    frames.set(frame.seq, frame);
    const op = bySeq.get(frame.seq);
    if (!op) return;
    const result = resultFromFrame(op, frame, sensitiveValuesOf(ctx.modules, op));
    made.set(frame.seq, result);
    ctx.onOperation?.(job, result);
  };
  const key = journalKey(job.runId, host.hostname);
  let driverError: Error | undefined;
  let diagnostics = '';
  try {
    const marker = newFrameMarker();
    const run = await runDriver(client, host.hostname, driverScript(job, rendered.scripts, ctx, marker, key), {
      limit: ctx.outputLimitBytes,
      marker,
      journalKey: key,
      journalRoot: ctx.journalRoot,
      deadlineMs: ctx.hostDeadlineMs,
      signal,
      onFrame,
      onStarted: () => ctx.onDriverStarted?.(() => client.end()),
    });
    diagnostics = run.diagnostics.trim();
    if (run.attached) ctx.log?.(`${host.hostname}: attached to the journal of run ${job.runId} on the host (an earlier delivery started it)`);
    if (run.exitCode !== 0) driverError = new Error(`driver exited ${run.exitCode ?? run.signal}${diagnostics ? `: ${diagnostics}` : ''}`);
  } catch (error) {
    driverError = coerceError(error);
  }
  try {
    // Shutting down (the job is handed back), or the connection lost while the driver went on:
    // the next delivery attaches to the journal.
    if (driverError && (signal?.aborted || (driverError instanceof SshError && driverError.code === 'unreachable'))) throw driverError;
    const result = resultOf(job, ctx, startedAt, frames, made, driverError);
    if (handOff) {
      await handOff(result);
      await forgetJournal(client, host.hostname, key, { journalRoot: ctx.journalRoot, timeoutMs: FORGET_TIMEOUT_MS }).catch((error: unknown) => ctx.log?.(`${host.hostname}: ${coerceError(error).message}`));
    }
    return result;
  } finally {
    client.end();
  }
}

/** Maps each operation's frame (or its absence) to its result. */
function resultOf(job: HostJobData, ctx: ConvergeContext, startedAt: number, frames: ReadonlyMap<number, OperationFrame>, made: ReadonlyMap<number, OperationResult>, driverError: Error | undefined): HostResult {
  const { host, operations, options } = job;

  const results: OperationResult[] = [];
  let cause: string | null = null;
  let stopped = false;
  for (const op of operations) {
    const frame = frames.get(op.seq);
    if (frame) {
      const result = made.get(op.seq) ?? resultFromFrame(op, frame, sensitiveValuesOf(ctx.modules, op));
      results.push(result);
      if (result.status === 'failed') {
        const timedOut = isTimeoutExit(frame.exitCode);
        cause ??= timedOut
          ? `${HostErrorCause.timeout}: ${describeOperation(host.hostname, op)} ran past ${options.operationTimeoutSeconds} s and was killed`
          : `${HostErrorCause.moduleFailed}: ${describeOperation(host.hostname, op)} exited ${frame.exitCode}`;
        if (!options.keepGoing) stopped = true;
      }
    } else if (stopped) {
      results.push(notRunResult(op, 'skipped', 'not run: an earlier operation failed'));
    } else {
      // The driver ended without reporting this operation: the host deadline, a lost connection.
      const why = driverError?.message ?? 'the driver ended before this operation';
      const timedOut = driverError instanceof SshError && driverError.code === 'timeout';
      results.push(notRunResult(op, 'failed', why));
      cause ??= `${timedOut ? HostErrorCause.timeout : HostErrorCause.unreachable}: ${why}`;
      stopped = true;
    }
  }
  return hostResult(job, ctx.workerName, startedAt, results, cause);
}
