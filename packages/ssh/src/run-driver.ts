import type { Client } from 'ssh2';
import { coerceError } from '@simplecm/kernel';
import { DRIVER_COMMAND } from './driver-script';
import { SshError } from './errors';
import { createFrameParser, type OperationFrame } from './frames';

export interface DriverRun {
  /** Exit status of the driver itself (0 unless it could not start or was killed). */
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** What the driver printed outside frames (stderr and stray stdout), cut to a few KiB. */
  readonly diagnostics: string;
}

/**
 * Runs a driver script on one exec channel and reports each operation's frame as it arrives.
 * `deadlineMs` bounds the whole host; past it the channel is closed and the host times out.
 */
export function runDriver(
  client: Client,
  hostname: string,
  script: string,
  options: { limit: number; marker: string; deadlineMs: number; signal?: AbortSignal; onFrame: (frame: OperationFrame) => void },
): Promise<DriverRun> {
  return new Promise((resolve, reject) => {
    client.exec(DRIVER_COMMAND, (error, channel) => {
      if (error) return reject(new SshError('unreachable', hostname, `exec failed: ${error.message}`, { cause: error }));
      const parser = createFrameParser(options.limit, options.marker, options.onFrame);
      const stderr: Buffer[] = [];
      let stderrBytes = 0;
      let exitCode: number | null = null;
      let signal: string | null = null;
      let failure: Error | undefined;
      const stop = (why: Error) => {
        failure ??= why;
        channel.close();
      };
      const timer = setTimeout(() => stop(new SshError('timeout', hostname, `host deadline of ${options.deadlineMs} ms passed`)), options.deadlineMs);
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
        options.signal?.removeEventListener('abort', onAbort);
        if (failure) return reject(failure);
        const diagnostics = (Buffer.concat(stderr).toString('utf8') + parser.leftover()).slice(0, 8192);
        resolve({ exitCode, signal, diagnostics });
      });
      channel.end(script);
    });
  });
}
