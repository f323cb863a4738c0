/**
 * Colour for people, never for programs: on only when the stream is a terminal and NO_COLOR
 * (https://no-color.org: any non-empty value) is not set; a pipe or a file gets plain text.
 */
export const Colour = {
  red: 31,
  green: 32,
  yellow: 33,
  cyan: 36,
  dim: 2,
} as const;
export type Colour = (typeof Colour)[keyof typeof Colour];

/** Whether to colour what is written to `stream`. */
export function wantsColour(stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && (env.NO_COLOR ?? '') === '';
}

/** Paints text in one colour, or leaves it as it is. */
export type Painter = (colour: Colour, text: string) => string;

export const noColour: Painter = (_colour, text) => text;
export const ansiColour: Painter = (colour, text) => (text === '' ? text : `\x1b[${colour}m${text}\x1b[0m`);

/** The painter for `stream`: ANSI colours when wantsColour says so, else none. */
export function painterFor(stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv): Painter {
  return wantsColour(stream, env) ? ansiColour : noColour;
}

/** The colour of a host, operation or run status (ok and finished green, changed yellow, failed and unreachable red, skipped and running cyan). */
export function statusColour(status: string): Colour | undefined {
  switch (status) {
    case 'ok':
    case 'finished':
      return Colour.green;
    case 'changed':
      return Colour.yellow;
    case 'failed':
    case 'unreachable':
      return Colour.red;
    case 'skipped':
    case 'running':
      return Colour.cyan;
    default:
      return undefined;
  }
}

/** A status word in its colour. */
export function paintStatus(paint: Painter, status: string): string {
  const colour = statusColour(status);
  return colour === undefined ? status : paint(colour, status);
}
