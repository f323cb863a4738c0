import fs from 'node:fs';
import path from 'node:path';
import type { Client as CassandraClient } from 'cassandra-driver';
import Redis from 'ioredis';
import { connectionConfigFromEnv } from '@simplecm/config';
import type { Host, Operation } from '@simplecm/domain';
import { connectCassandra, inventoryStore, resultStore } from '@simplecm/store';
import { markerOp, measureRun, sleepOp, waitUntil } from '../support/faults';
import {
  addresses,
  artifactsDir,
  clientEnv,
  compose,
  composeDown,
  containersOf,
  docker,
  leftovers,
  log,
  mustCompose,
  mustDocker,
  readState,
  startMaster,
  waitHealthy,
  type SuiteState,
} from './support/engine';

/**
 * SimpleCM in real containers (issue 19), on the engine and layout global setup brought up:
 * Redis, one Cassandra node, five SSH hosts, the results consumer, the dashboard and three
 * workers, every one on its own loopback address (docker/compose.local.yml). One file, so the
 * steps run in this order on the one layout; the last one takes it down.
 */

let state: SuiteState;
let cassandra: CassandraClient;
const env = () => state.env;
const runIdOf = (output: string) => /run ([0-9a-f-]{36})/.exec(output)?.[1];

beforeAll(async () => {
  state = readState();
  cassandra = await connectCassandra(connectionConfigFromEnv(clientEnv(state)).cassandra);
});

afterAll(async () => {
  await cassandra?.shutdown();
});

/** Writes hosts and their operations into the layout's inventory (keyspace simplecm). */
async function putDesiredState(entries: ReadonlyArray<{ host: Host; operations: Operation[] }>): Promise<void> {
  const inventory = inventoryStore(cassandra, 'simplecm');
  for (const { host, operations } of entries) {
    await inventory.putHost(host);
    await inventory.putOperations(host.hostname, operations);
  }
}

/**
 * `count` inventory hosts in group `group`, spread over the five SSH host containers (by address):
 * each sleeps, then appends one line to a file named after it, so every execution is counted.
 */
function longRun(group: string, count: number, seconds: number) {
  return Array.from({ length: count }, (_, i) => {
    const hostname = `${group}-${i + 1}`;
    const host: Host = { hostname, address: addresses.host((i % 5) + 1), port: 22, user: 'root', keyName: 'stack', groups: [group], vars: {}, hostKeys: [], become: null };
    return { host, operations: [sleepOp(0, seconds), markerOp(1, `/var/tmp/simplecm-marks/${hostname}`)] };
  });
}

/** Marker lines per inventory host, read inside the host containers. */
async function markerLines(group: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let n = 1; n <= 5; n++) {
    const [id] = await containersOf(`host${n}`, env());
    const out = await mustDocker(['exec', id!, 'sh', '-c', `cd /var/tmp/simplecm-marks 2>/dev/null && for f in ${group}-*; do [ -f "$f" ] && echo "$f $(wc -l < "$f")"; done; true`], env());
    for (const line of out.split('\n').filter(Boolean)) {
      const [name, lines] = line.split(' ');
      counts.set(name!, Number(lines));
    }
  }
  return counts;
}

async function recordedHosts(runId: string): Promise<number> {
  return (await resultStore(cassandra, 'simplecm').pageRunHosts(runId, { pageSize: 5000 })).items.length;
}

function saveArtifact(name: string, value: unknown): void {
  fs.mkdirSync(artifactsDir, { recursive: true });
  fs.writeFileSync(path.join(artifactsDir, name), typeof value === 'string' ? value : `${JSON.stringify(value, null, 2)}\n`);
}

describe('SimpleCM in containers (docker compose, host networking on 127.30.x.y)', () => {
  let sampleRunId: string;

  it('(1) converges the sample desired state with three worker containers: the master is a one-shot container', async () => {
    expect(await containersOf('worker', env())).toHaveLength(3);
    const master = startMaster(['enqueue', '--wait'], env());
    const code = await master.exited;
    const output = master.output();
    saveArtifact('sample-run.txt', output);
    log(`sample run recap:\n${output.split('\n').slice(-12).join('\n')}`);
    // host5 fails on purpose (a file in a missing directory): enqueue --wait exits 1.
    expect({ code, tail: output.slice(-2000) }).toEqual({ code: 1, tail: expect.stringMatching(/5\/5 hosts/) });
    sampleRunId = runIdOf(output)!;
    expect(sampleRunId).toBeDefined();

    const hosts = (await resultStore(cassandra, 'simplecm').pageRunHosts(sampleRunId, { pageSize: 100 })).items;
    const statuses = Object.fromEntries(hosts.map((h) => [h.hostname, h.status]));
    expect(statuses).toEqual({ host1: expect.stringMatching(/^(ok|changed)$/), host2: expect.stringMatching(/^(ok|changed)$/), host3: expect.stringMatching(/^(ok|changed)$/), host4: expect.stringMatching(/^(ok|changed)$/), host5: 'failed' });
    // Results in Cassandra, one row per operation that ran (host5 stops at its failed one).
    for (const h of ['host1', 'host2', 'host3', 'host4']) expect(await resultStore(cassandra, 'simplecm').getOperationResults(sampleRunId, h)).toHaveLength(4);
    // The work really happened in the host containers.
    const [host1] = await containersOf('host1', env());
    expect(await mustDocker(['exec', host1!, 'cat', '/etc/simplecm-demo/managed'], env())).toContain('managed by SimpleCM on host1');
    // Spread over the worker containers, each named by itself.
    expect(new Set(hosts.map((h) => h.worker)).size).toBeGreaterThanOrEqual(1);
    for (const h of hosts) expect(h.worker).toMatch(/^worker-[0-9a-f]{8}$/);
  });

  it('(1) the dashboard answers behind its login, and shows the run', async () => {
    const base = addresses.dashboard;
    const anonymous = await fetch(`${base}/`, { redirect: 'manual' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toMatch(/^\/login/);
    const wrong = await fetch(`${base}/login`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ username: 'operator', password: 'not-the-password' }) });
    expect(wrong.status).toBe(401);
    const login = await fetch(`${base}/login`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ username: 'operator', password: state.env.SIMPLECM_DASHBOARD_PASSWORD! }) });
    expect(login.status).toBe(303);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const page = await fetch(`${base}/`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(sampleRunId.slice(0, 8));
  });

  it('(4) workers read the key as a non-root user through the keys init step; the key stays 0600 on this machine; the master has none', async () => {
    const key = path.join(state.secretsDir, 'keys', 'stack');
    const st = fs.statSync(key);
    expect({ mode: (st.mode & 0o777).toString(8), uid: st.uid }).toEqual({ mode: '600', uid: process.getuid!() });
    const [worker] = await containersOf('worker', env());
    expect((await mustDocker(['exec', worker!, 'id', '-u'], env())).trim()).toBe('10001');
    expect((await mustDocker(['exec', worker!, 'stat', '-c', '%u %a', '/etc/simple-cm/keys/stack'], env())).trim()).toBe('10001 400');
    expect(await mustDocker(['exec', worker!, 'ls', '/etc/simple-cm/keys'], env())).toBe('stack\n');
    // Without the init step, the same user cannot read the operator's key as mounted (the bug this avoids).
    const direct = await compose(['run', '--rm', '-T', '--no-deps', '-v', `${path.dirname(key)}:/etc/simple-cm/keys:ro`, '--entrypoint', 'node', 'worker', '-e', "require('fs').readFileSync('/etc/simple-cm/keys/stack')"], env());
    expect(direct.code).not.toBe(0);
    expect(direct.stderr + direct.stdout).toMatch(/EACCES/);
    // sshd (StrictModes) accepted the key: the hosts converged above; its copy is root's and 0600.
    const [host2] = await containersOf('host2', env());
    expect((await mustDocker(['exec', host2!, 'stat', '-c', '%U %a', '/root/.ssh/authorized_keys'], env())).trim()).toBe('root 600');
    // The master's container has no key and mounts nothing.
    const master = await compose(['run', '--rm', '-T', '--no-deps', '--entrypoint', 'sh', 'master', '-c', 'test ! -e /etc/simple-cm/keys && grep -c " /etc/simple-cm" /proc/self/mounts'], env());
    expect({ code: master.code, mounts: master.stdout.trim() }).toEqual({ code: 1, mounts: '0' });
  });

  it('(5) images: production dependencies only, a non-root user, health checks; sizes reported', async () => {
    const devDependencies = Object.keys((JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies);
    const listed = await mustDocker(['run', '--rm', '--network', 'host', '--entrypoint', 'sh', 'simplecm/app:0.1.0', '-c', 'ls /app/node_modules /app/node_modules/@types 2>/dev/null; id -un; ls /app'], env());
    const present = new Set(listed.split('\n'));
    expect(devDependencies.filter((d) => present.has(d) || present.has(d.replace(/^@types\//, '')))).toEqual([]);
    for (const dep of ['ssh2', 'express', 'bullmq', 'cassandra-driver']) expect(present.has(dep)).toBe(true);
    expect(present.has('simplecm')).toBe(true);
    for (const absent of ['.stack', 'secrets', '.cache', '.git', 'artifacts', 'test']) expect(present.has(absent)).toBe(false);

    const images = ['simplecm/app:0.1.0', 'simplecm/ssh-host:0.1.0', 'simplecm/redis:local', 'simplecm/cassandra:5.0.9-local', 'simplecm/node-base:20.20.2', 'simplecm/debian-base:bookworm'];
    const inspected = (await mustDocker(['image', 'inspect', '-f', '{{index .RepoTags 0}}\t{{.Size}}\t{{.Config.User}}\t{{json .Config.Healthcheck}}', ...images], env())).trim().split('\n');
    const report = inspected.map((line) => {
      const [image, size, user, healthcheck] = line.split('\t');
      return { image: image!, sizeMB: Math.round(Number(size) / 1e6), user: user!, healthcheck: healthcheck !== 'null' };
    });
    saveArtifact('images.json', report);
    log(`image sizes: ${report.map((r) => `${r.image} ${r.sizeMB} MB`).join(', ')}`);
    expect(report.find((r) => r.image === 'simplecm/app:0.1.0')).toMatchObject({ user: 'simplecm', healthcheck: true });
    expect(report.find((r) => r.image === 'simplecm/ssh-host:0.1.0')).toMatchObject({ healthcheck: true });
    expect(report.find((r) => r.image === 'simplecm/cassandra:5.0.9-local')).toMatchObject({ user: 'cassandra', healthcheck: true });
    // Every long-running SimpleCM container is healthy by its own check.
    await waitHealthy(state, ['worker', 'results', 'dashboard'], 60_000);
  });

  it('(6) Redis and Cassandra refuse clients without credentials', async () => {
    const [host, port] = addresses.redis.split(':');
    const anonymous = new Redis({ host, port: Number(port), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await anonymous.connect().catch(() => undefined);
      await expect(anonymous.ping()).rejects.toThrow(/NOAUTH|WRONGPASS|Authentication required/i);
    } finally {
      anonymous.disconnect();
    }
    const config = connectionConfigFromEnv({ ...clientEnv(state), SIMPLECM_CASSANDRA_USERNAME: '', SIMPLECM_CASSANDRA_PASSWORD: '' }).cassandra;
    await expect(connectCassandra({ ...config, username: undefined, password: undefined } as typeof config)).rejects.toThrow(/auth|credentials|Authentication/i);
    const defaultSuperuser = connectionConfigFromEnv({ ...clientEnv(state), SIMPLECM_CASSANDRA_USERNAME: 'cassandra', SIMPLECM_CASSANDRA_PASSWORD: 'cassandra' }).cassandra;
    await expect(connectCassandra(defaultSuperuser)).rejects.toThrow(/auth|credentials|password|login/i);
  });

  it('(3) a worker container and a results-consumer container killed mid-run: nothing lost, nothing doubled', async () => {
    const entries = longRun('killed', 15, 4);
    await putDesiredState(entries);
    const master = startMaster(['enqueue', '--wait', '--group', 'killed'], env());
    const runId = await waitUntil('the master to print its run id', () => runIdOf(master.output()), { timeoutMs: 120_000, detail: master.output });
    await waitUntil('a first host recorded', async () => (await recordedHosts(runId)) >= 1, { timeoutMs: 120_000, detail: master.output });
    const [victim] = await containersOf('worker', env());
    const [results] = await containersOf('results', env());
    await mustDocker(['kill', victim!], env());
    await mustDocker(['kill', results!], env());
    log(`killed worker ${victim!.slice(0, 12)} and results consumer ${results!.slice(0, 12)} with ${await recordedHosts(runId)}/15 hosts recorded`);
    // The results consumer comes back (as its restart policy would); the killed worker does not.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await mustDocker(['start', results!], env());
    const code = await master.exited;
    const output = master.output();
    saveArtifact('killed-run.txt', output);
    log(`run with a killed worker, recap:\n${output.split('\n').slice(-6).join('\n')}`);
    expect({ code, tail: output.slice(-1500) }).toEqual({ code: 0, tail: expect.stringMatching(/15\/15 hosts/) });
    const row = await measureRun(cassandra, 'simplecm', runId, new Map(entries.map((e) => [e.host.hostname, e.operations.length])));
    saveArtifact('killed-run.json', row);
    expect(row).toMatchObject({ hostsInRun: 15, hostsRecorded: 15, hostsConverged: 15, resultsExpected: 30, resultsWritten: 30, duplicated: 0, lost: 0 });
    // The worker was killed after a host's marker at most once per host it held: report reruns.
    const marks = await markerLines('killed');
    expect([...marks.keys()].sort()).toEqual(entries.map((e) => e.host.hostname).sort());
    const reruns = [...marks.values()].reduce((a, b) => a + b, 0) - 15;
    log(`marker lines beyond one per host (a killed worker's host taken over after its marker): ${reruns}`);
    expect(reruns).toBeLessThanOrEqual(2);
    await mustCompose(['up', '-d', '--no-build', '--no-recreate', '--scale', 'worker=3'], env());
  }, 300_000);

  it('(2) workers scaled 3 → 6 → 1 during a long run: every host converged once, none lost', async () => {
    const entries = longRun('scaled', 24, 3);
    await putDesiredState(entries);
    expect(await containersOf('worker', env())).toHaveLength(3);
    const master = startMaster(['enqueue', '--wait', '--group', 'scaled'], env());
    const runId = await waitUntil('the master to print its run id', () => runIdOf(master.output()), { timeoutMs: 120_000, detail: master.output });
    await waitUntil('a first host recorded', async () => (await recordedHosts(runId)) >= 1, { timeoutMs: 120_000, detail: master.output });
    await mustCompose(['up', '-d', '--no-build', '--no-recreate', '--scale', 'worker=6'], env());
    expect(await containersOf('worker', env())).toHaveLength(6);
    const at6 = await recordedHosts(runId);
    await waitUntil('more hosts recorded with six workers', async () => (await recordedHosts(runId)) > at6, { timeoutMs: 120_000 });
    await mustCompose(['up', '-d', '--no-build', '--no-recreate', '--scale', 'worker=1'], env());
    expect(await containersOf('worker', env())).toHaveLength(1);
    log(`scaled 3 → 6 → 1 with ${await recordedHosts(runId)}/24 hosts recorded`);
    const code = await master.exited;
    const output = master.output();
    saveArtifact('scaled-run.txt', output);
    expect({ code, tail: output.slice(-1500) }).toEqual({ code: 0, tail: expect.stringMatching(/24\/24 hosts/) });
    const row = await measureRun(cassandra, 'simplecm', runId, new Map(entries.map((e) => [e.host.hostname, e.operations.length])));
    saveArtifact('scaled-run.json', row);
    expect(row).toMatchObject({ hostsInRun: 24, hostsRecorded: 24, hostsConverged: 24, duplicated: 0, lost: 0 });
    // Scaling down stops workers gracefully (SIGTERM): they finish their hosts, none runs twice.
    const marks = await markerLines('scaled');
    expect([...marks.values()].every((n) => n === 1)).toBe(true);
    expect(marks.size).toBe(24);
  }, 300_000);

  it('(5) docker-compose down -v leaves no container, volume or network of the project', async () => {
    await composeDown(state);
    const containers = await mustDocker(['ps', '-aq'], env());
    const volumes = await mustDocker(['volume', 'ls', '-q'], env());
    const networks = await mustDocker(['network', 'ls', '--format', '{{.Name}}'], env());
    expect({ containers: containers.trim(), volumes: volumes.trim(), networks: networks.trim().split('\n').sort() }).toEqual({ containers: '', volumes: '', networks: ['host', 'none'] });
    // Only the image layers of the cache are still mounted-free: no container overlay, no volume mount.
    expect(leftovers().filter((line) => !/\/run\/simplecm-docker\/exec|netns/.test(line))).toEqual([]);
    // And the engine never made a private-range network or interface.
    const links = await docker(['info', '-f', '{{json .}}'], env());
    expect(links.code).toBe(0);
  });
});
