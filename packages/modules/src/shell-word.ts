import { shellQuote } from '@simplecm/kernel';

/**
 * A text attribute on its way into a template. Handlebars' escapeExpression returns the result
 * of `toHTML()` for objects that have one instead of HTML-escaping them, so `{{x}}` renders the
 * single-quoted shell word without touching the shared Handlebars instance. Helpers that look at
 * the value (`if`, `eq`, …) unwrap it first (./template-env.ts).
 */
export class ShellWord {
  constructor(readonly value: string) {}

  toHTML(): string {
    return shellQuote(this.value);
  }

  /** Also quoted, so no code path can turn a ShellWord back into bare text by accident. */
  toString(): string {
    return shellQuote(this.value);
  }
}

/** The plain value behind a template value. */
export function unwrapTemplateValue(value: unknown): unknown {
  return value instanceof ShellWord ? value.value : value;
}
