import { parseClusterNodes, redisClient, RedisUrlError } from '../connection';

describe('Redis Cluster connections', () => {
  it('parses seed nodes and refuses a cluster client whose prefix has no hash tag', () => {
    expect(parseClusterNodes(['127.0.0.1:7101', ' r2:7102 '])).toEqual([
      { host: '127.0.0.1', port: 7101 },
      { host: 'r2', port: 7102 },
    ]);
    expect(() => parseClusterNodes(['r1'])).toThrow(RedisUrlError);
    expect(() => redisClient({ url: 'redis://unused', prefix: 'simplecm', clusterNodes: ['127.0.0.1:7101'] })).toThrow(/hash tag/);
  });
});
