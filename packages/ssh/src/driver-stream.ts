import { FRAME_MARKER_PATTERN } from './driver-script';
import { createFrameParser, type OperationFrame } from './frames';

/**
 * Parser of what the launcher sends on the channel: first one line, the marker of the journal's
 * frames (this delivery's own marker for a new journal, the first delivery's when the host job's
 * journal was already there), then the frames (createFrameParser, with that marker). A first
 * line that is not a marker is refused (push throws).
 */
export function createDriverStreamParser(limit: number, onFrame: (frame: OperationFrame) => void) {
  let head: Buffer = Buffer.alloc(0);
  let marker: string | undefined;
  let frames: ReturnType<typeof createFrameParser> | undefined;
  return {
    push(chunk: Buffer): void {
      if (frames) return frames.push(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf(0x0a);
      if (end < 0) {
        if (head.length > 128) throw new Error('malformed driver stream: no marker line');
        return;
      }
      const line = head.subarray(0, end).toString('latin1');
      if (!FRAME_MARKER_PATTERN.test(line)) throw new Error(`malformed driver stream: first line is not a frame marker: ${line.slice(0, 80)}`);
      marker = line;
      frames = createFrameParser(limit, line, onFrame);
      const rest = head.subarray(end + 1);
      head = Buffer.alloc(0);
      if (rest.length > 0) frames.push(rest);
    },
    /** The marker the frames came with, once its line arrived. */
    marker: (): string | undefined => marker,
    /** Text outside frames (see createFrameParser), or the unfinished first line. */
    leftover(): string {
      return frames ? frames.leftover() : head.toString('utf8');
    },
  };
}
