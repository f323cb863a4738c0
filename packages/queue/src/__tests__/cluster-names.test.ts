import { parseClusterNodes, redisClient, RedisUrlError } from '../connection';
import { hashTag } from '../names';

describe('Redis Cluster naming', () => {
  it('finds the hash tag Redis Cluster hashes a key by', () => {
    expect(hashTag('{simplecm}:hosts:wait')).toBe('simplecm');
    expect(hashTag('{simplecm}:run:r1:done')).toBe(hashTag('{simplecm}:run:r1:counts'));
    expect(hashTag('simplecm:hosts:wait')).toBeUndefined();
    expect(hashTag('{}:x{y}')).toBeUndefined(); // the first `{` decides; an empty tag hashes the whole key
    expect(hashTag('a{{b}c')).toBe('{b');
  });

  it('parses seed nodes and refuses a cluster client whose prefix has no hash tag', () => {
    expect(parseClusterNodes(['127.0.0.1:7101', ' r2:7102 '])).toEqual([
      { host: '127.0.0.1', port: 7101 },
      { host: 'r2', port: 7102 },
    ]);
    expect(() => parseClusterNodes(['r1'])).toThrow(RedisUrlError);
    expect(() => redisClient({ url: 'redis://unused', prefix: 'simplecm', clusterNodes: ['127.0.0.1:7101'] })).toThrow(/hash tag/);
  });
});
