import { FRAME_MARKER_PATTERN, HANDLER_SKIPPED_EXIT } from './driver-script';

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

/** A header field: a decimal integer, optionally negative (only the exit field may be). */
const integerField = /^-?[0-9]{1,16}$/;

/**
 * Incremental parser of the driver's stdout: feed chunks as they arrive, get frames as soon
 * as each is complete. Bytes outside frames (there should be none) are kept as `stray`.
 * `marker` is the run's own (newFrameMarker). A header is refused (push throws) unless every
 * field is an integer, sizes are not negative, the exit code is 0–255 or HANDLER_SKIPPED_EXIT,
 * and seq is greater than every seq before it (no duplicate, nothing out of order).
 */
export function createFrameParser(limit: number, marker: string, onFrame: (frame: OperationFrame) => void) {
  if (!FRAME_MARKER_PATTERN.test(marker)) throw new Error('createFrameParser: the frame marker must come from newFrameMarker()');
  const headerStart = Buffer.from(`\n${marker} `);
  let buffer: Buffer = Buffer.alloc(0);
  let header: Header | undefined;
  let lastSeq = -1;
  const stray: Buffer[] = [];

  function parseHeader(line: string): Header {
    const text = line.split(' ');
    const fields = text.map(Number);
    const malformed = (why: string) => new Error(`malformed frame header from driver (${why}): ${line.slice(0, 200)}`);
    if (text.length !== 7 || text.some((t) => !integerField.test(t)) || fields.some((n) => !Number.isSafeInteger(n))) throw malformed('seven integers expected');
    const [seq, exitCode, startedAt, durationMs, o, e, c] = fields as [number, number, number, number, number, number, number];
    if (o < 0 || e < 0 || c < 0) throw malformed('negative size');
    if (seq < 0 || startedAt < 0 || durationMs < 0) throw malformed('negative seq or time');
    if (exitCode !== HANDLER_SKIPPED_EXIT && (exitCode < 0 || exitCode > 255)) throw malformed('exit code out of range');
    if (seq <= lastSeq) throw malformed(`seq ${seq} after ${lastSeq}: duplicate or out of order`);
    lastSeq = seq;
    return { seq, exitCode, startedAt, durationMs, sizes: [o, e, c] };
  }

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
      if (end < 0) {
        if (buffer.length - at > 256) throw new Error('malformed frame header from driver (no end of line within 256 bytes)');
        return false;
      }
      if (at > 0) stray.push(buffer.subarray(0, at));
      header = parseHeader(buffer.subarray(at + headerStart.length, end).toString('latin1'));
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
