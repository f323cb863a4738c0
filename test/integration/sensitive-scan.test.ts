import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { connectionConfigFromEnv } from '@simplecm/config';
import { redisConnection } from '@simplecm/queue';
import { repoRoot, stackEnv, startProcess, type Started } from '@simplecm/stack';
import { dashboardCredentials, startDashboardProcess, type StartedDashboard } from '../support/browser';
import { runFinished } from '../support/faults';
import { onHost, putDesiredState, stackHost, systemOn, type TestSystem } from '../support/system';

/**
 * One operation with a `sensitive` value, run on a real host, then looked for everywhere it must
 * not be: every Redis key of the test's prefix (its own host job included: the master seals the
 * value to the workers' key), the Cassandra rows of the run, the output of the
 * master, worker and results consumer, the dashboard's pages and Bull Board's API, and `ps` on
 * this machine and on the host while the operation runs. The module prints the value to stdout
 * and stderr and names it in a change record, so the worker's redaction has work to do.
 *
 * Before the values were sealed the scan found it in exactly one place, the host job's own
 * `data` in Redis; now it must find it nowhere. That the scan reads job data is shown by what it
 * does find there: the operation's (not sensitive) path and the sealed section.
 */
const suffix = randomUUID().slice(0, 8);
const secret = `SIMPLECM-SECRET-${randomUUID()}`;
const target = `/tmp/simplecm-sensitive-${suffix}`;

/** The shipped modules plus `secret_file`: file_content with `content` sensitive, which also prints it and sleeps (for ps). */
function modulesWithSecretFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sensitive-modules-'));
  fs.cpSync(path.join(repoRoot, 'modules'), dir, { recursive: true });
  const spec = JSON.parse(fs.readFileSync(path.join(dir, 'file_content', 'module.json'), 'utf8')) as { description: string; attributes: Record<string, Record<string, unknown>> };
  spec.attributes.content = { ...spec.attributes.content, sensitive: true };
  fs.mkdirSync(path.join(dir, 'secret_file'));
  fs.writeFileSync(path.join(dir, 'secret_file', 'module.json'), JSON.stringify({ ...spec, description: 'file_content with a sensitive content (test module)' }, null, 2));
  const script = fs.readFileSync(path.join(dir, 'file_content', 'script.sh.hbs'), 'utf8');
  fs.writeFileSync(
    path.join(dir, 'secret_file', 'script.sh.hbs'),
    `${script}\nprintf 'out: %s\\n' "$content"\nprintf 'err: %s\\n' "$content" >&2\nsimplecm_change "wrote $content" || true\nsleep 3\n`,
  );
  return dir;
}

/** Every value of every key under `prefix`, as text, by key (and field for hashes). */
async function redisTexts(redis: Redis, prefix: string): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      if (type === 'hash') for (const [field, value] of Object.entries(await redis.hgetall(key))) texts.set(`${key} ${field}`, value);
      else if (type === 'string') texts.set(key, (await redis.get(key)) ?? '');
      else if (type === 'list') texts.set(key, (await redis.lrange(key, 0, -1)).join('\n'));
      else if (type === 'set') texts.set(key, (await redis.smembers(key)).join('\n'));
      else if (type === 'zset') texts.set(key, (await redis.zrange(key, 0, -1)).join('\n'));
      else if (type === 'stream') texts.set(key, JSON.stringify(await redis.xrange(key, '-', '+')));
      else texts.set(key, `(${type})`);
    }
  } while (cursor !== '0');
  return texts;
}

describe('a sensitive value', () => {
  let system: TestSystem;
  let dashboard: StartedDashboard | undefined;
  const redis = redisConnection(connectionConfigFromEnv({ ...process.env, ...stackEnv('unused') }).redis) as Redis;

  beforeAll(async () => {
    const keyspace = `t_sensitive_${suffix}`;
    const prefix = `test-sensitive-${suffix}`;
    system = await systemOn(keyspace, prefix, { ...stackEnv(keyspace), SIMPLECM_QUEUE_PREFIX: prefix, SIMPLECM_MODULES_DIR: modulesWithSecretFile() });
    await putDesiredState(system, [{ host: stackHost(1), operations: [{ seq: 0, name: 'secret file', module: 'secret_file', attributes: { path: target, content: secret } }] }]);
  }, 120_000);

  afterAll(async () => {
    if (dashboard) system.processes.push(dashboard.process);
    await system?.close();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${system.prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
    await onHost(1, `rm -f ${target}`).catch(() => undefined);
  });

  it('reaches the host and appears nowhere else: Redis (its own host job too), Cassandra, logs, dashboard, ps', async () => {
    system.startWorkers(1);
    system.startResults();
    const master: Started = startProcess('enqueue', [], system.env);
    system.processes.push(master);
    expect(await master.exited).toBe(0);
    const runId = /run ([0-9a-f-]{36})/.exec(master.output())?.[1];
    expect(runId).toBeDefined();

    // ps while the operation runs (it sleeps 3 s after writing): here and on the host.
    const listings: string[] = [];
    let finished = false;
    const done = runFinished(system, runId!).finally(() => (finished = true));
    while (!finished) {
      listings.push(execFileSync('ps', ['-eo', 'args', '--no-headers'], { encoding: 'utf8' }));
      listings.push((await onHost(1, 'ps -eo args --no-headers')).stdout);
    }
    const run = await done;
    expect(run.counts).toMatchObject({ changed: 1, failed: 0 });
    expect(listings.some((l) => l.includes('sleep 3'))).toBe(true); // sampled while the operation ran
    expect(listings.filter((l) => l.includes(secret))).toEqual([]);

    // On the host the file holds the value: the operation ran with it.
    expect((await onHost(1, `cat ${target}`)).stdout).toBe(secret);

    // Cassandra: every row of the run, redacted output included.
    const ks = system.keyspace;
    const rows: string[] = [];
    for (const q of [
      `SELECT * FROM ${ks}.runs WHERE run_id = ?`,
      `SELECT * FROM ${ks}.run_hosts WHERE run_id = ?`,
      `SELECT * FROM ${ks}.operation_results WHERE run_id = ? AND hostname = 'host1'`,
      `SELECT * FROM ${ks}.host_runs WHERE hostname = 'host1'`,
    ]) {
      const params = q.includes('run_id') ? [runId] : [];
      for (const row of (await system.cassandra.execute(q, params, { prepare: true })).rows) rows.push(JSON.stringify(row));
    }
    const operation = (await system.cassandra.execute(`SELECT stdout, stderr, changes FROM ${ks}.operation_results WHERE run_id = ? AND hostname = 'host1'`, [runId], { prepare: true })).first();
    expect({ stdout: operation?.get('stdout'), stderr: operation?.get('stderr'), changes: operation?.get('changes') }).toEqual({
      stdout: 'out: ***\n',
      stderr: 'err: ***\n',
      changes: expect.arrayContaining(['wrote ***']),
    });
    expect(rows.filter((r) => r.includes(secret))).toEqual([]);

    // Logs of every process of the run.
    for (const p of system.processes) expect(p.output()).not.toContain(secret);

    // The dashboard's pages and Bull Board's API (the host job's view shows ***).
    dashboard = await startDashboardProcess(system.env);
    const auth = `Basic ${Buffer.from(`${dashboardCredentials.user}:${dashboardCredentials.password}`).toString('base64')}`;
    const jobId = `run.${runId}.host.host1`;
    const pages: Record<string, string> = {};
    for (const page of ['/', `/runs/${runId}`, `/runs/${runId}/hosts/host1`, '/hosts/host1', `/api/runs/${runId}`, '/queues/api/queues?activeQueue=hosts&status=completed&page=1', '/queues/api/queues?activeQueue=results&status=completed&page=1', `/queues/api/queues/hosts/${jobId}`]) {
      const response = await fetch(new URL(page, dashboard.url), { headers: { authorization: auth } });
      expect({ page, status: response.status }).toEqual({ page, status: 200 });
      pages[page] = await response.text();
    }
    expect(pages[`/queues/api/queues/hosts/${jobId}`]).toContain('"content":"***"');
    // The host's page shows its desired state, the sensitive attribute as ***.
    expect(pages['/hosts/host1']).toMatch(/content&quot;:&quot;\*\*\*&quot;|"content":"\*\*\*"/);
    expect(Object.entries(pages).filter(([, text]) => text.includes(secret)).map(([page]) => page)).toEqual([]);
    expect(dashboard.process.output()).not.toContain(secret);

    // Redis: the value is nowhere under the prefix, not even in its own host job, where it is
    // sealed; the scan does read that job's data (the path is there, and the sealed section).
    const texts = await redisTexts(redis, system.prefix);
    expect([...texts.entries()].filter(([, text]) => text.includes(secret)).map(([key]) => key)).toEqual([]);
    const jobData = texts.get(`${system.prefix}:hosts:${jobId} data`) ?? '';
    expect(jobData).toContain(target);
    expect(jobData).toMatch(/\\"sealed\\":\{\\"keyId\\":\\"[0-9a-f]{16}\\"/);
  }, 240_000);
});
