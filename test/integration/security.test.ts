import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import type { Operation } from '@simplecm/domain';
import { HOSTS_QUEUE, redisConnection } from '@simplecm/queue';
import { resultStore, runStore } from '@simplecm/store';
import { resetHost, stackPaths } from '@simplecm/stack';
import { createTestSystem, hostFingerprint, onHost, putDesiredState, stackHost, stackHostKey, type TestSystem } from '../support/system';

const marker = (name: string): Operation[] => [{ seq: 0, name: 'marker', module: 'file_exists', attributes: { path: `/root/${name}` } }];

async function hostsOf(system: TestSystem, runId: string) {
  return (await resultStore(system.cassandra, system.keyspace).pageRunHosts(runId, { pageSize: 50 })).items;
}

describe('host identity', () => {
  let system: TestSystem;
  let scratch: string;
  beforeAll(async () => {
    await Promise.all([2, 3, 4].map(resetHost));
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'simplecm-keys-'));
    system = await createTestSystem('hostkeys');
  });
  afterAll(async () => {
    await system?.close();
  });

  it('refuses a host whose key differs from known_hosts; nothing runs there, the others converge', async () => {
    // A known_hosts where host3's line carries host4's key: host3 now looks like an impostor.
    const knownHosts = path.join(scratch, 'known_hosts_swapped');
    const lines = fs.readFileSync(stackPaths.knownHosts, 'utf8').split('\n');
    fs.writeFileSync(knownHosts, lines.map((l) => (l.startsWith('host3,') ? `host3,127.10.0.3 ${stackHostKey(4)}` : l)).join('\n'));
    await putDesiredState(system, [2, 3].map((n) => ({ host: stackHost(n), operations: marker('identity-marker') })));
    const before = hostFingerprint(3);
    system.startWorkers(1, ['--known-hosts', knownHosts]);
    system.startResults();
    const { code, runId } = await system.enqueue(['--hosts', 'host2,host3', '--wait']);
    expect(code).toBe(1);
    const hosts = await hostsOf(system, runId!);
    const host3 = hosts.find((h) => h.hostname === 'host3')!;
    expect(host3.status).toBe('unreachable');
    expect(host3.cause).toMatch(/^host-key-mismatch: .*differs from the one known_hosts has for host3/);
    expect(hosts.find((h) => h.hostname === 'host2')!.status).toBe('changed');
    expect(hostFingerprint(3)).toBe(before);
    await Promise.all(system.processes.splice(0).map((p) => p.child.kill('SIGTERM') && p.exited));
  });

  it('checks keys pinned in the inventory before known_hosts', async () => {
    await putDesiredState(system, [
      { host: stackHost(2, { hostKeys: [stackHostKey(2)] }), operations: marker('pinned-ok') },
      { host: stackHost(4, { hostKeys: [stackHostKey(3)] }), operations: marker('pinned-wrong') },
    ]);
    system.startWorkers(1);
    system.startResults();
    const { runId } = await system.enqueue(['--hosts', 'host2,host4', '--wait']);
    const hosts = await hostsOf(system, runId!);
    expect(hosts.find((h) => h.hostname === 'host2')!.status).toBe('changed');
    expect(hosts.find((h) => h.hostname === 'host4')!.cause).toMatch(/^host-key-mismatch: .*not one the inventory pins for host4/);
    expect((await onHost(4, 'test -e /root/pinned-wrong; echo $?')).stdout.trim()).toBe('1');
    await Promise.all(system.processes.splice(0).map((p) => p.child.kill('SIGTERM') && p.exited));
  });

  it('trusts an unknown host only with --accept-new-host-keys, and records the key it trusted', async () => {
    await putDesiredState(system, [{ host: stackHost(2), operations: marker('tofu') }]);
    const empty = path.join(scratch, 'known_hosts_empty');
    fs.writeFileSync(empty, '');
    system.startWorkers(1, ['--known-hosts', empty]);
    system.startResults();
    const refused = await system.enqueue(['--hosts', 'host2', '--wait']);
    expect((await hostsOf(system, refused.runId!))[0]!.cause).toMatch(/^host-key-mismatch: no known host key for host2/);
    await Promise.all(system.processes.splice(0).map((p) => p.child.kill('SIGTERM') && p.exited));

    system.startWorkers(1, ['--known-hosts', empty, '--accept-new-host-keys']);
    system.startResults();
    const trusted = await system.enqueue(['--hosts', 'host2', '--wait']);
    expect(trusted.code).toBe(0);
    expect(fs.readFileSync(empty, 'utf8')).toBe(`host2,127.10.0.2 ${stackHostKey(2)}\n`);
    await Promise.all(system.processes.splice(0).map((p) => p.child.kill('SIGTERM') && p.exited));
  });
});

describe('limits, bad input and secrets', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await createTestSystem('limits');
    system.startWorkers(1);
    system.startResults();
  });
  afterAll(async () => {
    await system?.close();
  });

  it('kills an operation that runs past its timeout on the host and records cause timeout', async () => {
    await putDesiredState(system, [
      {
        host: stackHost(1),
        operations: [
          { seq: 0, name: 'too slow', module: 'sleep', attributes: { seconds: 120 } },
          { seq: 1, name: 'after', module: 'file_exists', attributes: { path: '/root/after-timeout' } },
        ],
      },
    ]);
    const { code, runId } = await system.enqueue(['--hosts', 'host1', '--operation-timeout', '2', '--wait']);
    expect(code).toBe(1);
    const ops = await resultStore(system.cassandra, system.keyspace).getOperationResults(runId!, 'host1');
    expect(ops.map((o) => o.status)).toEqual(['failed', 'skipped']);
    expect(ops[0]!.exitCode).toBe(124);
    expect((await hostsOf(system, runId!))[0]!.cause).toMatch(/^timeout: .*"too slow" ran past 2 s/);
    const left = await onHost(1, 'ps -eo args | grep -c "[s]leep 120" || true');
    expect(left.stdout.trim()).toBe('0');
  });

  it('rejects a malformed CLI flag with the flag named, and enqueues nothing', async () => {
    const before = await runStore(system.cassandra, system.keyspace).listRuns({ limit: 100 });
    for (const args of [['--hosts', 'bad host!'], ['--operation-timeout', 'soon'], ['--run-id', 'x'], ['--nope']]) {
      const { code, output } = await system.enqueue(args);
      expect(code).toBe(2);
      expect(output).toMatch(new RegExp(args[0]!.replace(/^--/, '')));
    }
    expect(await runStore(system.cassandra, system.keyspace).listRuns({ limit: 100 })).toHaveLength(before.length);
  });

  it('fails a malformed host job with a clear reason and keeps working', async () => {
    const connection = redisConnection({ url: system.env.SIMPLECM_REDIS_URL!, prefix: system.prefix });
    const queue = new Queue(HOSTS_QUEUE, { connection, prefix: system.prefix });
    try {
      // As a host job travels (its payload a JSON string beside the signature), with a payload no master makes.
      const job = await queue.add('host', { payload: JSON.stringify({ runId: 'r', host: { hostname: 'host1; rm -rf /' }, operations: 'all of them' }) });
      for (let i = 0; i < 100 && !(await job.isFailed()); i++) await new Promise((r) => setTimeout(r, 100));
      const failed = await queue.getJob(job.id!);
      expect(failed!.failedReason).toMatch(/^malformed host job .*host\.hostname/);
      expect(failed!.attemptsMade).toBe(1);
    } finally {
      await queue.close();
      connection.disconnect();
    }
    // The worker is still there: a normal run converges.
    await putDesiredState(system, [{ host: stackHost(1), operations: marker('after-bad-job') }]);
    const { code } = await system.enqueue(['--hosts', 'host1', '--wait']);
    expect(code).toBe(0);
  });

  it('leaves no private key, passphrase or password in Redis or Cassandra', async () => {
    const keyFile = fs.readFileSync(path.join(stackPaths.keysDir, 'stack'), 'utf8');
    const keyBody = keyFile.split('\n').filter((l) => l && !l.startsWith('-----'));
    const needles = ['PRIVATE KEY', 'BEGIN OPENSSH', ...keyBody.filter((l) => l.length >= 20).map((l) => l.slice(0, 40))];
    const redis = redisConnection({ url: system.env.SIMPLECM_REDIS_URL!, prefix: system.prefix });
    const dumped: string[] = [];
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${system.prefix}:*`, 'COUNT', 500);
        cursor = next;
        for (const key of keys) {
          const type = await redis.type(key);
          if (type === 'string') dumped.push((await redis.get(key)) ?? '');
          else if (type === 'hash') dumped.push(JSON.stringify(await redis.hgetall(key)));
          else if (type === 'list') dumped.push(JSON.stringify(await redis.lrange(key, 0, -1)));
          else if (type === 'set') dumped.push(JSON.stringify(await redis.smembers(key)));
          else if (type === 'zset') dumped.push(JSON.stringify(await redis.zrange(key, 0, -1)));
          else if (type === 'stream') dumped.push(JSON.stringify(await redis.xrange(key, '-', '+')));
        }
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
    expect(dumped.length).toBeGreaterThan(10);
    expect(dumped.join('\n')).toMatch(/host1/); // the scan does see the jobs
    const tables = (await system.cassandra.execute('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?', [system.keyspace])).rows.map((r) => r.get('table_name') as string);
    const rows: string[] = [];
    for (const table of tables) {
      for await (const row of await system.cassandra.execute(`SELECT * FROM ${system.keyspace}.${table}`, [], { fetchSize: 500 })) rows.push(JSON.stringify(row));
    }
    expect(rows.length).toBeGreaterThan(10);
    for (const text of [dumped.join('\n'), rows.join('\n')]) {
      for (const needle of needles) expect(text).not.toContain(needle);
      expect(text).not.toMatch(/password|passphrase/i);
    }
  });
});
