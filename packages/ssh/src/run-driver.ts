import type { Client } from 'ssh2';
import { coerceError } from '@simplecm/kernel';
import { DRIVER_COMMAND } from './driver-script';
import { createDriverStreamParser } from './driver-stream';
import { SshError } from './errors';
import type { OperationFrame } from './frames';
import { stopDriverCommand } from './host-journal';

export interface DriverRun {
  /** Exit status of the driver itself (0 unless it could not start, was killed or was stopped). */
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** What the driver printed outside frames (stderr and stray stdout), cut to a few KiB. */
  readonly diagnostics: string;
  /** True when the host job's journal was already there (an earlier delivery started its driver). */
  readonly attached: boolean;
}

/** How long after asking a driver to stop (host deadline) the channel is closed anyway. */
const STOP_GRACE_MS = 10_000;

/**
 * Runs a driver script on one exec channel and reports each operation's frame as it arrives.
 * The driver itself runs detached on the host with its journal (host-journal.ts): if the
 * connection is lost the driver goes on, and the error thrown is a retryable `unreachable`
 * (the next delivery attaches to the journal). `deadlineMs` bounds the whole host; past it the
 * driver is stopped (its finished operations' frames still arrive) and the host times out.
 */
export function runDriver(
  client: Client,
  hostname: string,
  script: string,
  options: { limit: number; marker: string; journalKey: string; journalRoot?: string; deadlineMs: number; signal?: AbortSignal; onFrame: (frame: OperationFrame) => void; onStarted?: () => void },
): Promise<DriverRun> {
  // The script is dropped once handed to the channel: the closures below live as long as the
  // host runs (seconds to hours) and would otherwise keep every host's script on the heap.
  const pending: { script?: string } = { script };
  return new Promise((resolve, reject) => {
    client.exec(DRIVER_COMMAND, (error, channel) => {
      if (error) return reject(new SshError('unreachable', hostname, `exec failed: ${error.message}`, { cause: error }));
      const parser = createDriverStreamParser(options.limit, options.onFrame);
      const stderr: Buffer[] = [];
      let stderrBytes = 0;
      let exitCode: number | null = null;
      let signal: string | null = null;
      let failure: Error | undefined;
      let closeTimer: NodeJS.Timeout | undefined;
      const stop = (why: Error) => {
        failure ??= why;
        channel.close();
      };
      // Past the deadline the driver is told to stop on a channel of its own; this channel then
      // brings the frames of what finished, or is closed STOP_GRACE_MS later.
      const timer = setTimeout(() => {
        failure ??= new SshError('timeout', hostname, `host deadline of ${options.deadlineMs} ms passed`);
        client.exec(stopDriverCommand(options.journalKey, options.journalRoot), (e, stopper) => {
          if (e) return channel.close();
          stopper.resume();
          stopper.stderr.resume();
        });
        closeTimer = setTimeout(() => channel.close(), STOP_GRACE_MS);
      }, options.deadlineMs);
      const onAbort = () => stop(new SshError('unreachable', hostname, 'aborted: the worker is shutting down'));
      options.signal?.addEventListener('abort', onAbort, { once: true });

      channel.on('data', (chunk: Buffer) => {
        try {
          parser.push(chunk);
        } catch (e) {
          stop(coerceError(e));
        }
      });
      channel.stderr.on('data', (chunk: Buffer) => {
        if (stderrBytes < 8192) stderr.push(chunk);
        stderrBytes += chunk.length;
      });
      channel.on('exit', (code: number | null, sig?: string) => {
        exitCode = code;
        signal = sig ?? null;
      });
      channel.on('close', () => {
        clearTimeout(timer);
        clearTimeout(closeTimer);
        options.signal?.removeEventListener('abort', onAbort);
        if (failure) return reject(failure);
        // No exit status: the connection (or the host's sshd session) went away, not the driver.
        if (exitCode === null && signal === null) return reject(new SshError('unreachable', hostname, 'connection lost while the driver ran (it goes on; the host job is delivered again and attaches to its journal)'));
        const diagnostics = (Buffer.concat(stderr).toString('utf8') + parser.leftover()).slice(0, 8192);
        resolve({ exitCode, signal, diagnostics, attached: parser.marker() !== undefined && parser.marker() !== options.marker });
      });
      channel.end(pending.script);
      delete pending.script;
      options.onStarted?.();
    });
  });
}
