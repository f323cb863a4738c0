import { redisAclRules, redisAclUserArgs, redisAclUserLine, redisRoles } from '../redis-acl';

const keysOf = (rules: readonly string[]) => rules.filter((r) => r.includes('~'));

describe('Redis role rules', () => {
  it('only the master may write the hosts queue id counter, which every BullMQ add increments', () => {
    for (const role of redisRoles) {
      const rules = redisAclRules(role, 'p');
      const reachesId = rules.includes('+@write') && keysOf(rules).some((k) => k === '~p:hosts:*' || k === '~p:hosts:id');
      expect({ role, reachesId }).toEqual({ role, reachesId: role === 'master' });
    }
    expect(keysOf(redisAclRules('dashboard', 'p', { queueActions: true }))).not.toContain('~p:hosts:id');
  });

  it('keys stay within the prefix; no role has pub/sub channels, admin or dangerous commands', () => {
    for (const role of redisRoles) {
      const rules = redisAclRules(role, 'p');
      expect(keysOf(rules).every((k) => /^(%[RW])?~p:/.test(k))).toBe(true);
      expect(rules.slice(0, 1)).toEqual(['resetkeys']);
      expect(rules).toEqual(expect.arrayContaining(['resetchannels', '-@admin', '-@dangerous']));
      // Allowing comes first, then the subtractions: ACL rules apply left to right.
      expect(rules.indexOf('-@dangerous')).toBeGreaterThan(rules.indexOf('+@read'));
    }
  });

  it('the dashboard writes nothing without queue actions: no write command at all', () => {
    const rules = redisAclRules('dashboard', 'p');
    expect(rules).not.toContain('+@write');
    expect(rules).toEqual(expect.arrayContaining(['+@read', '+evalsha']));
    expect(redisAclRules('dashboard', 'p', { queueActions: true })).toContain('+@write');
  });

  it('a dashboard with run control submits run requests and cancels, but never reaches the hosts queue id counter', () => {
    const rules = redisAclRules('dashboard', 'p', { runControl: true });
    expect(rules).toContain('+@write');
    expect(keysOf(rules)).toEqual(expect.arrayContaining(['~p:run-requests:*', '%R~p:masters', '~p:run:*:cancel', '~p:hosts:wait']));
    expect(keysOf(rules)).not.toContain('~p:hosts:id');
    expect(keysOf(rules)).not.toContain('~p:hosts:*');
    expect(keysOf(rules).every((k) => /^(%R)?~p:/.test(k))).toBe(true);
    expect(keysOf(redisAclRules('dashboard', 'p', { queueActions: true }))).not.toContain('~p:run-requests:*');
  });

  it('makes ACL SETUSER arguments and ACL file lines from the same rules', () => {
    const args = redisAclUserArgs('simplecm-worker', { sha256: 'ab'.repeat(32) }, ['resetkeys', '~p:x']);
    expect(args).toEqual(['simplecm-worker', 'reset', 'on', `#${'ab'.repeat(32)}`, 'resetkeys', '~p:x']);
    expect(redisAclUserLine(args)).toBe(`user simplecm-worker reset on #${'ab'.repeat(32)} resetkeys ~p:x`);
    expect(redisAclUserArgs('u', { clear: 'pw' }, [])[3]).toBe('>pw');
  });

  it('live output streams: the worker writes them; the dashboard only reads them, in every mode; no other role reaches them', () => {
    expect(keysOf(redisAclRules('worker', 'p'))).toContain('~p:live:*');
    for (const opts of [{}, { queueActions: true }, { runControl: true }]) {
      const rules = keysOf(redisAclRules('dashboard', 'p', opts));
      expect(rules).toContain('%R~p:live:*');
      expect(rules).not.toContain('~p:live:*');
    }
    for (const role of ['master', 'results'] as const) expect(keysOf(redisAclRules(role, 'p')).some((k) => k.includes(':live:'))).toBe(false);
  });

  it('result stream: the worker appends without reading, deleting or acknowledging; the consumer reads it; the master does not reach it', () => {
    const worker = redisAclRules('worker', 'p');
    expect(keysOf(worker)).toEqual(expect.arrayContaining(['%W~p:result-stream', '~p:run:*:handed']));
    expect(keysOf(worker).some((k) => k.startsWith('~p:result-stream') || k.startsWith('%R~p:result-stream'))).toBe(false);
    expect(worker).toEqual(expect.arrayContaining(['-xdel', '-xack', '-xclaim', '-xautoclaim', '-xgroup']));
    // Denials come after what they take back from (+@stream), or they would not hold.
    expect(worker.indexOf('-xdel')).toBeGreaterThan(worker.indexOf('+@stream'));
    expect(keysOf(redisAclRules('results', 'p'))).toEqual(expect.arrayContaining(['~p:result-stream*', '~p:run:*']));
    for (const opts of [{}, { queueActions: true }, { runControl: true }]) expect(keysOf(redisAclRules('dashboard', 'p', opts))).toContain('%R~p:result-stream');
    expect(keysOf(redisAclRules('master', 'p')).some((k) => k.includes('result-stream'))).toBe(false);
    // No role reaches a BullMQ results queue any more.
    for (const role of redisRoles) expect(keysOf(redisAclRules(role, 'p')).some((k) => k.includes(':results:'))).toBe(false);
  });
});
