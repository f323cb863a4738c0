import { z } from 'zod';
import { errorMessage, SimpleCmError } from '@simplecm/kernel';

/**
 * Host patterns, as Ansible's `--limit` reads them: `web:&eu:!web3` is every host of group web
 * that is also in eu, except web3.
 *
 * A pattern is terms separated by `:` or `,`. A plain term adds hosts, `&term` keeps only hosts
 * that also match it, `!term` removes hosts that match it; whatever their order, the additions
 * are taken first, then the intersections, then the exclusions (so `!web3:web` is `web:!web3`).
 * A term matches a host when it is the host's name or one of its groups, `all` or `*` matches
 * every host, and a term with `*`, `?` or `[…]` is a glob matched against host names and group
 * names alike. A pattern of only `&`/`!` terms starts from every host.
 */
export interface PatternHost {
  readonly hostname: string;
  readonly groups: readonly string[];
}

export type HostPatternTerm = { readonly kind: 'add' | 'intersect' | 'exclude'; readonly text: string };

export interface HostPattern {
  readonly source: string;
  readonly terms: readonly HostPatternTerm[];
  /** Whether `host` is selected by the pattern. */
  readonly matches: (host: PatternHost) => boolean;
}

export class HostPatternError extends SimpleCmError<'invalid-host-pattern'> {
  override readonly name = 'HostPatternError';
  readonly code = 'invalid-host-pattern' as const;
}

const TERM = /^[A-Za-z0-9._*?[\]!-]+$/;

/** Parses a pattern; throws HostPatternError naming the bad term. */
export function parseHostPattern(source: string): HostPattern {
  const parts = source.split(/[:,]/).map((p) => p.trim());
  if (parts.every((p) => p === '')) throw new HostPatternError(`host pattern "${source}" is empty`);
  const terms: HostPatternTerm[] = parts.map((part) => {
    if (part === '') throw new HostPatternError(`host pattern "${source}" has an empty term`);
    const kind = part.startsWith('&') ? 'intersect' : part.startsWith('!') ? 'exclude' : 'add';
    const text = kind === 'add' ? part : part.slice(1);
    if (text === '' || !TERM.test(text) || (kind !== 'add' && /^[&!]/.test(text))) {
      throw new HostPatternError(`host pattern "${source}": "${part}" is not a host, group or glob`);
    }
    return { kind, text };
  });
  const test = (text: string): ((host: PatternHost) => boolean) => {
    if (text === 'all' || text === '*') return () => true;
    if (!/[*?[]/.test(text)) return (host) => host.hostname === text || host.groups.includes(text);
    const glob = globToRegExp(text);
    return (host) => glob.test(host.hostname) || host.groups.some((g) => glob.test(g));
  };
  const adds = terms.filter((t) => t.kind === 'add').map((t) => test(t.text));
  const intersects = terms.filter((t) => t.kind === 'intersect').map((t) => test(t.text));
  const excludes = terms.filter((t) => t.kind === 'exclude').map((t) => test(t.text));
  const matches = (host: PatternHost): boolean =>
    (adds.length === 0 || adds.some((m) => m(host))) && intersects.every((m) => m(host)) && !excludes.some((m) => m(host));
  return { source, terms, matches };
}

/** fnmatch-style: `*` any run, `?` one character, `[abc]`/`[a-z]`/`[!a]` a class; the rest literal. */
function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) {
        out += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, end);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      out += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else out += c.replace(/[.+^${}()|\\\]-]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** A host pattern as text (a `--limit` flag), checked by parsing it. */
export const hostPatternTextSchema = z.string().superRefine((text, ctx) => {
  try {
    parseHostPattern(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: errorMessage(error) });
  }
});
