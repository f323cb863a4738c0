import fc from 'fast-check';
import { HostPatternError, parseHostPattern, type PatternHost } from '../host-pattern';

const fleet: PatternHost[] = [
  { hostname: 'web1', groups: ['web', 'eu'] },
  { hostname: 'web2', groups: ['web', 'us'] },
  { hostname: 'web3', groups: ['web', 'eu'] },
  { hostname: 'db1', groups: ['db', 'eu'] },
  { hostname: 'db2.example.com', groups: ['db', 'us'] },
];
const select = (pattern: string): string[] => fleet.filter(parseHostPattern(pattern).matches).map((h) => h.hostname);

describe('host patterns', () => {
  it.each([
    ['web', ['web1', 'web2', 'web3']],
    ['web:&eu:!web3', ['web1']],
    ['!web3:&eu:web', ['web1']],
    ['web,db1', ['web1', 'web2', 'web3', 'db1']],
    ['all:!db', ['web1', 'web2', 'web3']],
    ['*', fleet.map((h) => h.hostname)],
    ['!web', ['db1', 'db2.example.com']],
    ['&us', ['web2', 'db2.example.com']],
    ['*.example.com', ['db2.example.com']],
    ['web[12]', ['web1', 'web2']],
    ['web[!1]', ['web2', 'web3']],
    ['e?', ['web1', 'web3', 'db1']],
    ['nosuch', []],
  ])('%s selects %j', (pattern, hosts) => {
    expect(select(pattern)).toEqual(hosts);
  });

  it.each(['', ':', 'web::db', 'web:&', 'web:!', 'web:!!db', 'we b', 'web;rm'])('refuses %j, naming it', (pattern) => {
    expect(() => parseHostPattern(pattern)).toThrow(HostPatternError);
    expect(() => parseHostPattern(pattern)).toThrow(pattern === '' ? /is empty/ : /host pattern/);
  });

  /**
   * The matcher decides host by host; the reference computes Ansible's set algebra over the
   * inventory (union of the additions, then intersections, then differences), for random fleets
   * and patterns made of names, groups, `all` and simple globs.
   */
  it('agrees with set algebra over the inventory', () => {
    const names = ['a1', 'a2', 'b1', 'b2', 'c1'];
    const groups = ['g1', 'g2', 'g3'];
    const hostsArb = fc.uniqueArray(
      fc.record({ hostname: fc.constantFrom(...names), groups: fc.subarray(groups) }),
      { selector: (h) => h.hostname, minLength: 1 },
    );
    const termArb = fc.tuple(fc.constantFrom('', '&', '!'), fc.constantFrom(...names, ...groups, 'all', 'a*', 'g?', '*1', 'x*'));
    fc.assert(
      fc.property(hostsArb, fc.array(termArb, { minLength: 1, maxLength: 5 }), fc.constantFrom(':', ','), (hosts, terms, sep) => {
        const pattern = terms.map(([op, t]) => op + t).join(sep);
        const setOf = (term: string): Set<string> => {
          const re = new RegExp(`^${term.replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
          const hit = (h: PatternHost) => term === 'all' || re.test(h.hostname) || h.groups.some((g) => re.test(g));
          return new Set(hosts.filter(hit).map((h) => h.hostname));
        };
        const adds = terms.filter(([op]) => op === '');
        let selected = adds.length ? new Set(adds.flatMap(([, t]) => [...setOf(t)])) : new Set(hosts.map((h) => h.hostname));
        for (const [op, t] of terms) {
          const s = setOf(t);
          if (op === '&') selected = new Set([...selected].filter((h) => s.has(h)));
        }
        for (const [op, t] of terms) {
          const s = setOf(t);
          if (op === '!') selected = new Set([...selected].filter((h) => !s.has(h)));
        }
        const expected = hosts.map((h) => h.hostname).filter((h) => selected.has(h));
        expect(hosts.filter(parseHostPattern(pattern).matches).map((h) => h.hostname)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});
