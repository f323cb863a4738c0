import { FRAME_MARKER } from './driver-script';

/** One operation's outcome as the driver reported it. */
export interface OperationFrame {
  readonly seq: number;
  /** The operation's exit code, or HANDLER_SKIPPED_EXIT for a handler the driver did not run. */
  readonly exitCode: number;
  readonly startedAt: number;
  readonly durationMs: number;
  readonly stdout: Buffer;
  readonly stdoutTruncated: boolean;
  readonly stderr: Buffer;
  readonly stderrTruncated: boolean;
  readonly changes: Buffer;
}

interface Header {
  seq: number;
  exitCode: number;
  startedAt: number;
  durationMs: number;
  sizes: [number, number, number];
}

const headerStart = Buffer.from(`\n${FRAME_MARKER} `);

/**
 * Incremental parser of the driver's stdout: feed chunks as they arrive, get frames as soon
 * as each is complete. Bytes outside frames (there should be none) are kept as `stray`.
 */
export function createFrameParser(limit: number, onFrame: (frame: OperationFrame) => void) {
  let buffer: Buffer = Buffer.alloc(0);
  let header: Header | undefined;
  const stray: Buffer[] = [];

  function payloadSize(h: Header): number {
    return h.sizes.reduce((sum, size) => sum + Math.min(size, limit), 0);
  }

  function step(): boolean {
    if (!header) {
      const at = buffer.indexOf(headerStart);
      if (at < 0) {
        // Keep a tail that may be the start of a split marker.
        const keep = Math.min(buffer.length, headerStart.length - 1);
        if (buffer.length > keep) stray.push(buffer.subarray(0, buffer.length - keep));
        buffer = buffer.subarray(buffer.length - keep);
        return false;
      }
      const end = buffer.indexOf(0x0a, at + 1);
      if (end < 0) return false;
      if (at > 0) stray.push(buffer.subarray(0, at));
      const fields = buffer.subarray(at + headerStart.length, end).toString('ascii').split(' ').map(Number);
      if (fields.length !== 7 || fields.some((n) => !Number.isFinite(n))) throw new Error(`malformed frame header from driver: ${buffer.subarray(at, end).toString()}`);
      const [seq, exitCode, startedAt, durationMs, o, e, c] = fields as [number, number, number, number, number, number, number];
      header = { seq, exitCode, startedAt, durationMs, sizes: [o, e, c] };
      buffer = buffer.subarray(end + 1);
    }
    const need = payloadSize(header);
    if (buffer.length < need) return false;
    const [o, e, c] = header.sizes.map((s) => Math.min(s, limit)) as [number, number, number];
    onFrame({
      seq: header.seq,
      exitCode: header.exitCode,
      startedAt: header.startedAt,
      durationMs: header.durationMs,
      stdout: buffer.subarray(0, o),
      stdoutTruncated: header.sizes[0] > limit,
      stderr: buffer.subarray(o, o + e),
      stderrTruncated: header.sizes[1] > limit,
      changes: buffer.subarray(o + e, o + e + c),
    });
    buffer = buffer.subarray(need);
    header = undefined;
    return true;
  }

  return {
    push(chunk: Buffer): void {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      while (step()) {
        /* drain complete frames */
      }
    },
    /** Text the driver printed outside frames, plus any unfinished frame. */
    leftover(): string {
      return Buffer.concat([...stray, buffer]).toString('utf8');
    },
  };
}
