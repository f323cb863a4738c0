import { ConfigError } from '../errors';
import { connectionConfigFromEnv } from '../connections';
import { hashTag, prefixHasHashTag } from '../hash-tag';

describe('cluster connection settings', () => {
  it('reads Cassandra consistency, defaulting to LOCAL_QUORUM', () => {
    expect(connectionConfigFromEnv({}).cassandra.consistency).toBe('LOCAL_QUORUM');
    expect(connectionConfigFromEnv({ SIMPLECM_CASSANDRA_CONSISTENCY: 'quorum' }).cassandra.consistency).toBe('QUORUM');
    expect(() => connectionConfigFromEnv({ SIMPLECM_CASSANDRA_CONSISTENCY: 'SOME' })).toThrow(/SIMPLECM_CASSANDRA_CONSISTENCY/);
  });

  it('switches to a Redis Cluster with seed nodes and a hash-tagged prefix', () => {
    const single = connectionConfigFromEnv({});
    expect(single.redis.clusterNodes).toBeUndefined();
    expect(single.redis.prefix).toBe('simplecm');
    const cluster = connectionConfigFromEnv({ SIMPLECM_REDIS_CLUSTER: '127.0.0.1:7101, 127.0.0.1:7102' });
    expect(cluster.redis).toMatchObject({ clusterNodes: ['127.0.0.1:7101', '127.0.0.1:7102'], prefix: '{simplecm}' });
    expect(connectionConfigFromEnv({ SIMPLECM_REDIS_CLUSTER: 'r1:7000', SIMPLECM_QUEUE_PREFIX: 'prod{cm}' }).redis.prefix).toBe('prod{cm}');
  });

  it('refuses cluster settings that would cross slots or that it cannot honour', () => {
    expect(() => connectionConfigFromEnv({ SIMPLECM_REDIS_CLUSTER: 'r1:7000', SIMPLECM_QUEUE_PREFIX: 'simplecm' })).toThrow(/hash tag/);
    expect(() => connectionConfigFromEnv({ SIMPLECM_REDIS_CLUSTER: 'r1:7000', SIMPLECM_QUEUE_PREFIX: '{}x' })).toThrow(ConfigError);
    expect(() => connectionConfigFromEnv({ SIMPLECM_REDIS_CLUSTER: 'r1' })).toThrow(/SIMPLECM_REDIS_CLUSTER/);
    expect(() => connectionConfigFromEnv({ SIMPLECM_REDIS_CLUSTER: 'r1:7000', SIMPLECM_REDIS_CA: '/ca.pem' })).toThrow(/not supported/);
  });

  it('finds the hash tag Redis Cluster hashes a key by', () => {
    expect(hashTag('{simplecm}:hosts:wait')).toBe('simplecm');
    expect(hashTag('{simplecm}:run:r1:done')).toBe(hashTag('{simplecm}:run:r1:counts'));
    expect(hashTag('simplecm:hosts:wait')).toBeUndefined();
    expect(hashTag('{}:x{y}')).toBeUndefined(); // the first `{` decides; an empty tag hashes the whole key
    expect(hashTag('a{{b}c')).toBe('{b');
  });

  it('recognises a prefix with a hash tag the way Redis Cluster does', () => {
    expect(prefixHasHashTag('{simplecm}')).toBe(true);
    expect(prefixHasHashTag('a{b}c')).toBe(true);
    expect(prefixHasHashTag('{}simplecm')).toBe(false); // empty tag: the whole key is hashed
    expect(prefixHasHashTag('simplecm')).toBe(false);
    expect(prefixHasHashTag('{simplecm')).toBe(false);
  });
});
