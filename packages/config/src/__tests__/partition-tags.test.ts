import { ConfigError } from '../errors';
import { connectionConfigFromEnv } from '../connections';
import { crc16, CLUSTER_SLOTS, hostPartition, keySlot, partitionPrefix, partitionPrefixes, partitionSlotRange, servedPartitions } from '../partition-tags';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('hash slots as Redis Cluster computes them', () => {
  it('CRC-16/XMODEM: the standard check value and the slots Redis gives known keys', () => {
    expect(crc16(utf8('123456789'))).toBe(0x31c3);
    expect(crc16(utf8(''))).toBe(0);
    // CLUSTER KEYSLOT answers, as Redis' cluster tutorial shows them.
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('bar')).toBe(5061);
    expect(keySlot('hello')).toBe(866);
  });

  it('hashes by the tag when there is one, by the whole key otherwise', () => {
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    expect(keySlot('{simplecm}:hosts:wait')).toBe(keySlot('simplecm'));
    expect(keySlot('{}foo')).toBe(crc16(utf8('{}foo')) % CLUSTER_SLOTS);
    // An empty tag is no tag, even with a tag after it: Redis hashes the whole key (CLUSTER
    // KEYSLOT answers 8363). cluster-key-slot 1.1.1 (ioredis' slot function) answers 4015, the
    // slot of "bar": why this file keeps a CRC-16 of its own.
    expect(keySlot('foo{}{bar}')).toBe(8363);
  });
});

describe('queue partition prefixes', () => {
  it('one partition is the queue prefix itself, whatever it is', () => {
    for (const prefix of ['simplecm', '{simplecm}', 'prod{cm}x', 'test-a-123']) {
      expect(partitionPrefix(prefix, 0, 1)).toBe(prefix);
      expect(partitionPrefixes(prefix, 1)).toEqual([prefix]);
    }
  });

  it('K partitions land in the middle half of the K ranges of an even split, each a distinct tag', () => {
    for (let k = 2; k <= 16; k++) {
      const prefixes = partitionPrefixes('{simplecm}', k);
      expect(new Set(prefixes).size).toBe(k);
      prefixes.forEach((prefix, i) => {
        expect(prefix).toMatch(/^\{simplecm-\d+\}$/);
        const slot = keySlot(`${prefix}:hosts:wait`);
        const { low, high } = partitionSlotRange(i, k);
        expect(slot).toBeGreaterThanOrEqual(low);
        expect(slot).toBeLessThan(high);
        // Inside the i-th k-th of 0…16383, with room on either side for how a tool rounds its ends.
        expect(slot).toBeGreaterThan((i * CLUSTER_SLOTS) / k + 1);
        expect(slot).toBeLessThan(((i + 1) * CLUSTER_SLOTS) / k - 1);
      });
    }
  });

  it('K = 3 splits the slots as redis-cli --cluster create does (0-5460, 5461-10922, 10923-16383)', () => {
    const ranges = [
      [0, 5460],
      [5461, 10922],
      [10923, 16383],
    ];
    partitionPrefixes('{simplecm}', 3).forEach((prefix, i) => {
      const slot = keySlot(prefix);
      expect(slot >= ranges[i]![0]! && slot <= ranges[i]![1]!).toBe(true);
    });
  });

  it('keeps what surrounds the tag, and suffixes a prefix without one', () => {
    const [p0, p1] = partitionPrefixes('prod{cm}x', 2);
    expect(p0).toMatch(/^prod\{cm-\d+\}x$/);
    expect(p1).toMatch(/^prod\{cm-\d+\}x$/);
    expect(partitionPrefixes('simplecm', 3).every((p) => /^simplecm-\d+$/.test(p))).toBe(true);
  });

  it('is deterministic: the same prefixes in every process', () => {
    expect(partitionPrefixes('{simplecm}', 4)).toEqual(partitionPrefixes('{simplecm}', 4));
    expect(partitionPrefix('{simplecm}', 2, 4)).toBe(partitionPrefixes('{simplecm}', 4)[2]);
  });

  it('refuses a partition outside 0…K-1 and a K outside 1…64', () => {
    expect(() => partitionPrefix('p', 3, 3)).toThrow(ConfigError);
    expect(() => partitionPrefix('p', 0, 0)).toThrow(ConfigError);
    expect(() => partitionPrefix('p', 0, 65)).toThrow(ConfigError);
  });
});

describe('host partitions', () => {
  it('K = 1 puts every host in partition 0', () => {
    expect(['a', 'web-1', 'host3'].map((h) => hostPartition(h, 1))).toEqual([0, 0, 0]);
  });

  it('is CRC-16 of the name mod K: fixed values', () => {
    expect(hostPartition('123456789', 7)).toBe(0x31c3 % 7);
    expect([1, 2, 3, 4, 5].map((n) => hostPartition(`host${n}`, 3))).toEqual([1, 2, 3, 4, 5].map((n) => crc16(utf8(`host${n}`)) % 3));
  });

  it('spreads 30,000 names over 3 and 8 partitions within 3 % of the mean', () => {
    for (const k of [3, 8]) {
      const counts = new Array<number>(k).fill(0);
      for (let i = 0; i < 30_000; i++) counts[hostPartition(`web-${i}.dc${i % 7}.example.com`, k)]! += 1;
      const mean = 30_000 / k;
      for (const c of counts) expect(Math.abs(c - mean) / mean).toBeLessThan(0.03);
    }
  });
});

describe('served partitions', () => {
  it('all by default; a subset sorted without repeats; a partition past K refused', () => {
    expect(servedPartitions(3)).toEqual([0, 1, 2]);
    expect(servedPartitions(3, [])).toEqual([0, 1, 2]);
    expect(servedPartitions(3, [2, 0, 2])).toEqual([0, 2]);
    expect(() => servedPartitions(3, [3])).toThrow(/SIMPLECM_QUEUE_PARTITIONS=3/);
  });
});

describe('SIMPLECM_QUEUE_PARTITIONS', () => {
  it('is absent from the config unless set, and checked', () => {
    expect(connectionConfigFromEnv({}).redis.partitions).toBeUndefined();
    expect(connectionConfigFromEnv({ SIMPLECM_QUEUE_PARTITIONS: '3' }).redis.partitions).toBe(3);
    expect(() => connectionConfigFromEnv({ SIMPLECM_QUEUE_PARTITIONS: '0' })).toThrow(/SIMPLECM_QUEUE_PARTITIONS/);
    expect(() => connectionConfigFromEnv({ SIMPLECM_QUEUE_PARTITIONS: '65' })).toThrow(/SIMPLECM_QUEUE_PARTITIONS/);
    // Not a number, or not a whole one: said as such (not "received NaN"), with the name.
    for (const bad of ['abc', '2.5', '-1', ' 3']) expect(() => connectionConfigFromEnv({ SIMPLECM_QUEUE_PARTITIONS: bad })).toThrow(/SIMPLECM_QUEUE_PARTITIONS: must be a whole number/);
  });
});
