import { hostPartition, partitionPrefixes } from '@simplecm/config';
import { concurrencyShares, hostQueuePrefix, partitionOfQueue, queueOfHost, queuePartitionPrefixes, servedQueuePartitions } from '../queue-partitions';
import { redisAclRules, redisRoles } from '../redis-acl';

const keysOf = (rules: readonly string[]) => rules.filter((r) => r.includes('~'));

describe('queue partitions of an installation', () => {
  it('K unset or 1: the queue prefix alone', () => {
    expect(queuePartitionPrefixes({ prefix: 'simplecm' })).toEqual(['simplecm']);
    expect(queuePartitionPrefixes({ prefix: '{simplecm}', partitions: 1 })).toEqual(['{simplecm}']);
    expect(hostQueuePrefix({ prefix: 'simplecm' }, 'web1')).toBe('simplecm');
  });

  it('a host is in the partition of hostPartition, the served ones are those asked for', () => {
    const config = { prefix: '{simplecm}', partitions: 3 };
    const prefixes = partitionPrefixes('{simplecm}', 3);
    expect(queuePartitionPrefixes(config)).toEqual(prefixes);
    for (const host of ['host1', 'host2', 'host3', 'host4', 'host5']) expect(hostQueuePrefix(config, host)).toBe(prefixes[hostPartition(host, 3)]);
    expect(servedQueuePartitions(config, [2, 0])).toEqual([
      { index: 0, prefix: prefixes[0] },
      { index: 2, prefix: prefixes[2] },
    ]);
    expect(servedQueuePartitions(config).map((p) => p.index)).toEqual([0, 1, 2]);
  });

  it('shares a concurrency as evenly as whole numbers allow, at least 1 each', () => {
    expect(concurrencyShares(50, 1)).toEqual([50]);
    expect(concurrencyShares(50, 3)).toEqual([17, 17, 16]);
    expect(concurrencyShares(6, 3)).toEqual([2, 2, 2]);
    expect(concurrencyShares(2, 3)).toEqual([1, 1, 1]);
  });

  it('finds the queue of a host and the partition of a queue', () => {
    const queues = ['q0', 'q1', 'q2'].map((name) => ({ name: 'hosts', id: name }));
    expect(queueOfHost(queues, 'host4')).toBe(queues[hostPartition('host4', 3)]);
    const single = { name: 'hosts', id: 'only' };
    expect(queueOfHost(single, 'host4')).toBe(single);
    const results = ['r0', 'r1', 'r2'].map((id) => ({ name: 'results', id }));
    const all = [...queues, ...results];
    expect(all.map((q) => partitionOfQueue(all, q))).toEqual([0, 1, 2, 0, 1, 2]);
    expect(partitionOfQueue([single, results[0]!], single)).toBeUndefined();
  });
});

describe('Redis role rules over queue partitions', () => {
  const parts = partitionPrefixes('{p}', 3);

  it('one partition (the prefix) gives exactly the rules without the option', () => {
    for (const role of redisRoles) {
      for (const opts of [{}, { queueActions: true }, { runControl: true }]) {
        expect(redisAclRules(role, '{p}', { ...opts, partitions: ['{p}'] })).toEqual(redisAclRules(role, '{p}', opts));
      }
    }
  });

  it("each partition's queues, locks and progress; run-level keys only under the prefix", () => {
    const escape = (s: string) => s.replace(/[{}]/g, '\\$&');
    for (const role of redisRoles) {
      const keys = keysOf(redisAclRules(role, '{p}', { partitions: parts, runControl: role === 'dashboard' }));
      for (const part of parts) {
        const mine = keys.filter((k) => new RegExp(`^(%[RW])?~${escape(part)}:`).test(k));
        expect(mine.length).toBeGreaterThan(0);
        expect(mine.some((k) => k.endsWith(':run:*'))).toBe(true);
        if (role === 'worker') expect(mine).toEqual(expect.arrayContaining([`~${part}:host-lock:*`, `%W~${part}:result-stream`, `~${part}:run:*:handed`, `~${part}:hosts:run.*`]));
        if (role === 'results') expect(mine).toEqual(expect.arrayContaining([`~${part}:result-stream*`, `~${part}:run:*`]));
        if (role === 'master') expect(mine).toEqual(expect.arrayContaining([`~${part}:hosts:*`]));
      }
      // Everything else is the prefix's own, and none of it is a queue of host or result jobs.
      const rest = keys.filter((k) => !parts.some((part) => k.includes(`~${part}:`)));
      expect(rest.every((k) => /^(%[RW])?~\{p\}:/.test(k) && !/:(hosts|result-stream|host-lock)\b/.test(k))).toBe(true);
    }
    // The results consumer announces progress on the run's events under the prefix.
    expect(keysOf(redisAclRules('results', '{p}', { partitions: parts }))).toContain('~{p}:run:*:events');
    expect(keysOf(redisAclRules('worker', '{p}', { partitions: parts }))).toContain('~{p}:live:*');
  });
});
