/**
 * Variables inside attribute values and templates: `{{ vars.name }}` is replaced by the host's
 * value of `name`, as data (the module's template shell-quotes the whole attribute afterwards,
 * so a value can never become shell code of its own). Nothing else between `{{ }}` is special.
 * Besides the inventory's vars, `{{ vars.hostname }}` is the host's name (unless vars define it).
 *
 * Precedence of the inventory's vars, lowest first: group `all`, then the host's groups from the
 * top of the group tree down (a child group's vars over its parents'; groups of the same depth
 * by name), then the host's own vars.
 *
 * To write the characters `{{ vars.` literally, put a backslash before the braces: `\{{ vars.x }}`
 * gives `{{ vars.x }}`. Backslashes right before such braces pair up: `\\{{ vars.x }}` is one
 * backslash and then x's value (so any text can be written, and `escapeVariables` is exact).
 */

/** A reference's start, with the backslashes before it. */
const referenceStart = /(\\*)\{\{(\s*vars\.)/g;
/** What a reference must be from its `{{`: a name and the closing braces. */
const reference = /^\{\{\s*vars\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/;

export const variableNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A reference that could not be replaced, by offset in the text. */
export interface VariableProblem {
  readonly offset: number;
  readonly message: string;
}

/** Replaces every reference in `text`; problems (undefined variable, malformed reference) are returned, not thrown. */
export function substituteVariables(text: string, vars: Readonly<Record<string, string>>): { text: string; problems: VariableProblem[] } {
  if (!text.includes('{{')) return { text, problems: [] };
  const problems: VariableProblem[] = [];
  let out = '';
  let last = 0;
  referenceStart.lastIndex = 0;
  for (let m = referenceStart.exec(text); m !== null; m = referenceStart.exec(text)) {
    const slashes = m[1]!.length;
    const braces = m.index + slashes;
    out += text.slice(last, m.index) + '\\'.repeat(Math.floor(slashes / 2));
    if (slashes % 2 === 1) {
      out += `{{${m[2]!}`;
      last = referenceStart.lastIndex;
      continue;
    }
    const ref = reference.exec(text.slice(braces));
    if (ref === null) {
      problems.push({ offset: braces, message: 'malformed variable reference: write {{ vars.name }}' });
      out += `{{${m[2]!}`;
      last = referenceStart.lastIndex;
      continue;
    }
    const name = ref[1]!;
    const value = Object.hasOwn(vars, name) ? vars[name] : undefined;
    if (value === undefined) problems.push({ offset: braces, message: `undefined variable "${name}"` });
    out += value ?? '';
    last = braces + ref[0].length;
    referenceStart.lastIndex = last;
  }
  return { text: out + text.slice(last), problems };
}

/** The text that `substituteVariables` turns back into `text` whatever the variables are. */
export function escapeVariables(text: string): string {
  return text.replace(referenceStart, (_all, slashes: string, rest: string) => `${'\\'.repeat(slashes.length * 2 + 1)}{{${rest}`);
}
