import { Writable } from 'node:stream';

/** pino's numeric levels, as names people read. */
const levelNames: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** Fields every line has, shown in the line's head rather than as `key=value`. */
const headFields = new Set(['time', 'level', 'msg', 'pid', 'hostname', 'app']);

/**
 * One pino JSON line as a person reads it on a terminal:
 * `09:31:02 INFO  worker host web1 converged  runId=… worker=w1`. A line that is not JSON is
 * returned unchanged. Control characters in values are escaped by JSON.stringify.
 */
export function formatLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null) return line;
    entry = parsed as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 19) : '--:--:--';
  const level = (levelNames[Number(entry.level)] ?? String(entry.level)).padEnd(5);
  const app = typeof entry.app === 'string' ? `${entry.app} ` : '';
  const rest = Object.entries(entry)
    .filter(([key]) => !headFields.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' && /^[\w.:/@-]+$/.test(value) ? value : JSON.stringify(value)}`);
  return `${time} ${level} ${app}${String(entry.msg ?? '')}${rest.length > 0 ? `  ${rest.join(' ')}` : ''}`;
}

/**
 * A stream pino writes to that prints each JSON line in the human format. Why not pino-pretty:
 * it is a separate package with a dozen dependencies of its own and runs as a worker-thread
 * transport; one line of formatting for a terminal does not need that.
 */
export function ttyStream(out: NodeJS.WritableStream): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line !== '') out.write(`${formatLogLine(line)}\n`);
      done();
    },
  });
}
