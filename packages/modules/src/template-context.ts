import type { ValidatedAttributes } from './attribute-schema';
import type { AttributeSpec } from './module-spec';
import { ShellWord } from './shell-word';

/**
 * What a template sees: every declared attribute (absent optional ones as null, so `{{#if x}}`
 * works under strict mode), text wrapped in ShellWord so `{{x}}` renders one quoted shell word,
 * raw attributes as bare text (templates may only write them as `{{{x}}}`), ints and bools as
 * they are (their text is shell-inert: digits, `-`, `true`, `false`).
 */
export function templateContext(specs: Readonly<Record<string, AttributeSpec>>, values: ValidatedAttributes): Record<string, unknown> {
  const context: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const value = Object.prototype.hasOwnProperty.call(values, name) ? values[name] : undefined;
    if (value === undefined) {
      context[name] = null;
    } else if (Array.isArray(value)) {
      context[name] = value.map((item) => new ShellWord(String(item)));
    } else if (typeof value === 'string') {
      context[name] = spec.raw === true ? value : new ShellWord(value);
    } else {
      context[name] = value;
    }
  }
  return context;
}
