import Handlebars from 'handlebars';
import { ShellWord, unwrapTemplateValue } from './shell-word';

export type TemplateEnv = typeof Handlebars;
export type CompiledTemplate = Handlebars.TemplateDelegate<Record<string, unknown>>;

/**
 * Compile options for every module template: a missing variable is an error, and only our
 * helpers exist (./check-template.ts has already refused anything else at load).
 */
export const TEMPLATE_COMPILE_OPTIONS = {
  strict: true,
  knownHelpersOnly: true,
  knownHelpers: { eq: true, quote: true },
  data: true,
  noEscape: false,
  preventIndent: true,
} as const;

/**
 * "Absent" for `if`/`unless`/`with`: null, false, the empty string and the empty list. Unlike
 * Handlebars' own `if`, 0 counts as present — an int attribute set to 0 was set.
 */
function isAbsent(value: unknown): boolean {
  const v = unwrapTemplateValue(value);
  return v === null || v === undefined || v === false || v === '' || (Array.isArray(v) && v.length === 0);
}

/**
 * A private Handlebars environment (never the shared global one) whose `if`, `unless` and `with`
 * look through ShellWord wrappers — otherwise every text attribute, even '', would be truthy.
 */
export function createTemplateEnv(): TemplateEnv {
  const env = Handlebars.create();
  // Not part of the module language: keep templates to what check-template.ts knows.
  env.unregisterHelper('lookup');
  env.unregisterHelper('log');
  env.registerHelper('if', function (this: unknown, condition: unknown, options: Handlebars.HelperOptions) {
    return isAbsent(condition) ? options.inverse(this) : options.fn(this);
  });
  env.registerHelper('unless', function (this: unknown, condition: unknown, options: Handlebars.HelperOptions) {
    return isAbsent(condition) ? options.fn(this) : options.inverse(this);
  });
  env.registerHelper('with', function (this: unknown, context: unknown, options: Handlebars.HelperOptions) {
    return isAbsent(context) ? options.inverse(this) : options.fn(context);
  });
  env.registerHelper('eq', (a: unknown, b: unknown) => unwrapTemplateValue(a) === unwrapTemplateValue(b));
  env.registerHelper('quote', (value: unknown) => {
    if (value === null || value === undefined) return '';
    return value instanceof ShellWord ? value : new ShellWord(String(value));
  });
  return env;
}
