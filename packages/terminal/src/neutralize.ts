/**
 * Text that came from a managed host (stdout, stderr, change lines, causes) is shown to a person
 * on a terminal. A host must not be able to drive that terminal: escape sequences can rewrite
 * what was printed before, set the window title, or on some terminals answer back as typed
 * input. Every control character (C0, DEL, C1) and every bidirectional override is shown as a
 * visible `\xHH` / `\u{HHHH}` instead, except line breaks and tabs where the caller keeps them.
 */
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const CONTROLS_AND_BREAKS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function visible(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/** `text` safe to print: controls made visible; `\n` and `\t` kept unless `keepBreaks` is false. */
export function neutralizeControls(text: string, { keepBreaks = true } = {}): string {
  return text.replace(keepBreaks ? CONTROLS : CONTROLS_AND_BREAKS, visible);
}
