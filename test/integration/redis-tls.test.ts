import net from 'node:net';
import tls from 'node:tls';
import fs from 'node:fs';
import type { Redis } from 'ioredis';
import { redactRedisUrl, redisConnection, redisConnectionOptions } from '@simplecm/queue';
import { resultStore, runStore } from '@simplecm/store';
import { redisTlsDown, redisTlsHost, redisTlsPaths, redisTlsPort, redisTlsRunning, redisTlsUp, redisTlsUser, redisUrl, stackTlsEnv } from '@simplecm/stack';
import { createTestSystem, type TestSystem } from '../support/system';

// Issue 4: master, workers and results consumer talk to Redis over TLS as an ACL user. All
// real: the stack's TLS redis-server on 6381, openssl-made certificates, SimpleCM processes.

/** RESP encoding of one command. */
const resp = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

/**
 * Sends `payload` on a fresh connection to the TLS port and collects what comes back until
 * the server closes, `expectedLines` reply lines arrived, or 2 s passed.
 */
function exchange(
  payload: string,
  { secure, expectedLines, ...tlsOptions }: { secure: boolean; expectedLines: number } & tls.ConnectionOptions,
): Promise<{ reply: string; error?: string }> {
  return new Promise((resolve) => {
    let reply = '';
    let error: string | undefined;
    const socket = secure
      ? tls.connect({ host: redisTlsHost, port: redisTlsPort, ...tlsOptions }, () => socket.write(payload))
      : net.connect({ host: redisTlsHost, port: redisTlsPort }, () => socket.write(payload));
    const finish = () => {
      socket.destroy();
      resolve({ reply, error });
    };
    socket.setTimeout(2_000, finish);
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8');
      if (reply.split('\r\n').length > expectedLines) finish();
    });
    socket.once('error', (e) => {
      error = e.message;
      finish();
    });
    socket.once('close', finish);
  });
}

describe('Redis over TLS with an ACL user', () => {
  let startedHere = false;
  let env: ReturnType<typeof stackTlsEnv>;
  let password: string;
  let ca: Buffer;
  const clients: Redis[] = [];

  beforeAll(async () => {
    if (!(await redisTlsRunning())) {
      await redisTlsUp({ log: (line) => process.stderr.write(`[redis-tls] ${line}\n`) });
      startedHere = true;
    }
    env = stackTlsEnv();
    password = fs.readFileSync(redisTlsPaths.password, 'utf8').trim();
    ca = fs.readFileSync(redisTlsPaths.caCert);
  });
  afterAll(async () => {
    // quit, not disconnect: disconnect leaves ioredis' 2 s disconnect timer that keeps jest alive.
    await Promise.all(clients.map((c) => (c.status === 'end' ? undefined : c.quit().catch(() => c.disconnect()))));
    if (startedHere) await redisTlsDown();
  });

  it('keeps its secrets private and the URL it hands out uses TLS, the ACL user and 6381', () => {
    for (const file of [redisTlsPaths.password, redisTlsPaths.caKey, redisTlsPaths.serverKey, redisTlsPaths.env, redisTlsPaths.conf]) {
      expect({ file, mode: fs.statSync(file).mode & 0o777 }).toEqual({ file, mode: 0o600 });
    }
    expect(password).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(fs.readFileSync(redisTlsPaths.conf, 'utf8')).not.toContain(password); // only its SHA-256
    expect(env.SIMPLECM_REDIS_URL).toBe(`rediss://${redisTlsUser}:${password}@127.0.0.1:${redisTlsPort}`);
    expect(redactRedisUrl(env.SIMPLECM_REDIS_URL)).toBe(`rediss://${redisTlsUser}:***@127.0.0.1:${redisTlsPort}`);
    expect(env.SIMPLECM_REDIS_CA).toBe(redisTlsPaths.caCert);
  });

  it('refuses plaintext on the TLS port: no PONG', async () => {
    const { reply } = await exchange('PING\r\n', { secure: false, expectedLines: 1 });
    expect(reply).not.toContain('PONG');
  });

  it('refuses TLS without a password, with a wrong one and as the default user', async () => {
    const opts = { secure: true, ca: [ca], expectedLines: 2 };
    expect((await exchange(resp('PING'), { ...opts, expectedLines: 1 })).reply).toMatch(/^-NOAUTH/);
    const wrong = await exchange(resp('AUTH', redisTlsUser, `${password}x`) + resp('PING'), opts);
    expect(wrong.reply).toMatch(/^-WRONGPASS.*\r\n-NOAUTH/s);
    const asDefault = await exchange(resp('AUTH', 'default', password) + resp('PING'), opts);
    expect(asDefault.reply).toMatch(/^-WRONGPASS.*\r\n-NOAUTH/s);
  });

  it('answers PING with the right password, and only to a client that verifies the certificate', async () => {
    const auth = resp('AUTH', redisTlsUser, password) + resp('PING');
    expect((await exchange(auth, { secure: true, ca: [ca], expectedLines: 2 })).reply).toBe('+OK\r\n+PONG\r\n');
    expect((await exchange(auth, { secure: true, ca: [ca], servername: 'localhost', expectedLines: 2 })).reply).toBe('+OK\r\n+PONG\r\n');
    // Not our CA (system roots only): the chain does not verify.
    expect((await exchange(auth, { secure: true, expectedLines: 2 })).error).toMatch(/self-signed certificate in certificate chain/);
    // Our CA but another name: the SAN check fails.
    expect((await exchange(auth, { secure: true, ca: [ca], servername: 'redis.example.com', expectedLines: 2 })).error).toMatch(/altnames/i);
  });

  it('connects through @simplecm/queue by IP (SAN IP) and by name (SNI), and reports a wrong password without it', async () => {
    for (const url of [env.SIMPLECM_REDIS_URL, env.SIMPLECM_REDIS_URL.replace('@127.0.0.1:', '@localhost:')]) {
      const client = redisConnection({ url, tlsCaFile: env.SIMPLECM_REDIS_CA, prefix: 'unused' });
      clients.push(client);
      expect(await client.ping()).toBe('PONG');
      expect(await client.acl('WHOAMI')).toBe(redisTlsUser);
    }
    const wrongPassword = 'not-the-password';
    const bad = redisConnection({ url: env.SIMPLECM_REDIS_URL.replace(password, wrongPassword), tlsCaFile: env.SIMPLECM_REDIS_CA, prefix: 'unused' });
    clients.push(bad);
    const errors: string[] = [];
    bad.on('error', (e: Error) => errors.push(`${e.message} ${e.stack ?? ''}`));
    await expect(bad.ping()).rejects.toThrow(/WRONGPASS/);
    bad.disconnect();
    expect(errors.join('\n')).not.toContain(wrongPassword);
    // A CA with a plaintext URL is a misconfiguration, refused before connecting.
    expect(() => redisConnectionOptions({ url: redisUrl, tlsCaFile: env.SIMPLECM_REDIS_CA, prefix: 'unused' })).toThrow(/use rediss:\/\//);
  });

  describe('the full pipeline over TLS', () => {
    let system: TestSystem;
    let plain: Redis;
    let secure: Redis;

    beforeAll(async () => {
      system = await createTestSystem('tls');
      // system.env is the very object its processes are started with: point it at the TLS Redis.
      Object.assign(system.env, stackTlsEnv());
      await system.seed();
      system.startWorkers(2);
      system.startResults();
      plain = redisConnection({ url: redisUrl, prefix: system.prefix });
      secure = redisConnection({ url: env.SIMPLECM_REDIS_URL, tlsCaFile: env.SIMPLECM_REDIS_CA, prefix: system.prefix });
      clients.push(plain, secure);
    });
    afterAll(async () => {
      await system?.close();
      // The TLS Redis persists (AOF): leave nothing of this test behind.
      const keys = secure && system ? await secure.keys(`${system.prefix}:*`) : [];
      if (keys.length > 0) await secure.del(...keys);
    });

    it('converges host1 and host2 with results in Cassandra, never touching the plain Redis or printing the password', async () => {
      const { code, runId, output } = await system.enqueue(['--hosts', 'host1,host2', '--wait']);
      expect({ code, output }).toEqual({ code: 0, output: expect.stringMatching(/host1/) });
      expect(runId).toBeDefined();

      const run = await runStore(system.cassandra, system.keyspace).getRun(runId!);
      expect(run).toMatchObject({ status: 'finished', hostCount: 2, hostsDone: 2 });
      expect(run!.counts.failed + run!.counts.unreachable).toBe(0);
      const results = resultStore(system.cassandra, system.keyspace);
      for (const host of ['host1', 'host2']) {
        const ops = await results.getOperationResults(runId!, host);
        expect(ops).toHaveLength(7); // the example state's web hosts
        // The reload handler is skipped when its config did not change (the hosts may be converged already).
        for (const op of ops) expect(op.name === 'reload web service' ? ['changed', 'skipped'] : ['ok', 'changed']).toContain(op.status);
      }

      // The queue and the progress keys are on the TLS Redis, none on the plain one.
      expect(await secure.keys(`${system.prefix}:*`)).not.toHaveLength(0);
      expect(await plain.keys(`${system.prefix}:*`)).toEqual([]);
      // The workers and the consumer are connected as the ACL user, over TLS (only port there is).
      const clientList = await secure.client('LIST');
      expect(String(clientList).split('\n').filter((l) => / user=simplecm /.test(l)).length).toBeGreaterThanOrEqual(4);

      for (const p of system.processes) expect(p.output()).not.toContain(password);
      expect(output).not.toContain(password);
    });
  });
});
