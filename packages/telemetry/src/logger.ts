import pino, { type Logger } from 'pino';
import { ttyStream } from './tty-format';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** The process (`worker`, `results-consumer`, `dashboard`), in every line as `app`. */
  readonly app: string;
  /** Fields in every line, e.g. `{ worker: 'w1' }`. */
  readonly base?: Record<string, string>;
  /** Where lines go. @defaultValue process.stdout */
  readonly destination?: NodeJS.WritableStream;
  /** Human lines instead of JSON. @defaultValue whether the destination is a TTY */
  readonly pretty?: boolean;
  /** @defaultValue SIMPLECM_LOG_LEVEL's value as read by the caller, else `info` */
  readonly level?: string;
}

/**
 * `SIMPLECM_LOG_FORMAT`: `json` or `human` forces the format; unset (or anything else) leaves it
 * to whether the output is a terminal.
 */
export function logFormatFromEnv(env: NodeJS.ProcessEnv): boolean | undefined {
  return env.SIMPLECM_LOG_FORMAT === 'human' ? true : env.SIMPLECM_LOG_FORMAT === 'json' ? false : undefined;
}

/**
 * The structured logger of a long-running process: one JSON object per line (pino) with `time`
 * (epoch ms), `level` (pino's numbers: 30 info, 40 warn, 50 error), `app`, `msg` and the
 * line's own fields (`runId`, `host`, `worker`, …); on a TTY the same lines in a human format.
 */
export function createLogger({ app, base = {}, destination = process.stdout, pretty, level = 'info' }: LoggerOptions): Logger {
  const human = pretty ?? (destination as { isTTY?: boolean }).isTTY === true;
  return pino({ level, base: { app, ...base } }, human ? ttyStream(destination) : (destination as pino.DestinationStream));
}
