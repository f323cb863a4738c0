import { ConfigError } from '../errors';
import { connectionConfigFromEnv } from '../connections';

describe('connection configuration', () => {
  it('defaults to the local stack', () => {
    expect(connectionConfigFromEnv({})).toMatchObject({
      redis: { url: 'redis://127.0.0.1:6380', prefix: 'simplecm' },
      cassandra: { contactPoints: ['127.0.0.1:9042'], localDataCenter: 'datacenter1', keyspace: 'simplecm' },
    });
  });

  it('splits contact points and names the bad variable', () => {
    expect(connectionConfigFromEnv({ SIMPLECM_CASSANDRA_CONTACT_POINTS: 'a:9042, b:9042' }).cassandra.contactPoints).toEqual(['a:9042', 'b:9042']);
    expect(() => connectionConfigFromEnv({ SIMPLECM_REDIS_URL: 'http://x' })).toThrow(ConfigError);
    expect(() => connectionConfigFromEnv({ SIMPLECM_KEYSPACE: 'Bad-Name' })).toThrow(/SIMPLECM_KEYSPACE/);
  });
});
