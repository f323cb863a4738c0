import { Client } from 'cassandra-driver';
import { cassandraContactPoint, cassandraDataCenter, cassandraStatus, cassandraUp } from '@simplecm/stack';

describe('local Cassandra node', () => {
  let client: Client;

  beforeAll(async () => {
    // The global setup normally started it already; then this returns at once.
    await cassandraUp({ log: () => undefined });
    client = new Client({ contactPoints: [cassandraContactPoint], localDataCenter: cassandraDataCenter });
    await client.connect();
  }, 200_000);

  afterAll(async () => {
    await client?.shutdown();
  });

  it('answers CQL on 127.0.0.1:9042 as Cassandra 5.0', async () => {
    expect(cassandraContactPoint).toBe('127.0.0.1:9042');
    const rs = await client.execute('SELECT release_version, data_center FROM system.local');
    const row = rs.first();
    expect(String(row.get('release_version'))).toMatch(/^5\.0\./);
    expect(row.get('data_center')).toBe('datacenter1');
  });

  it('reports itself as running', async () => {
    const status = await cassandraStatus();
    expect(status).toMatchObject({ name: 'cassandra', running: true });
    expect(status.detail).toContain('127.0.0.1:9042');
  });
});
