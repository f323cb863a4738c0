import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Client as CassandraClient } from 'cassandra-driver';
import Redis from 'ioredis';
import { connectionConfigFromEnv } from '@simplecm/config';
import type { Host, Operation } from '@simplecm/domain';
import { connectCassandra, inventoryStore, resultStore } from '@simplecm/store';
import { containerFaultRowsFile, executedTwice, loggedOp, measureRun, recordFaultRow, waitUntil } from '../support/faults';
import {
  addresses,
  artifactsDir,
  clientEnv,
  composeDown,
  containersOf,
  docker,
  leftovers,
  log,
  mustCompose,
  mustDocker,
  project,
  readState,
  startRun,
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
 * two operations, each appending its own line to a log named after the host on the host ("slept"
 * then sleeping `seconds`, then "marked"), so every execution of every operation is counted there.
 */
function longRun(group: string, count: number, seconds: number) {
  return Array.from({ length: count }, (_, i) => {
    const hostname = `${group}-${i + 1}`;
    const host: Host = { hostname, address: addresses.host((i % 5) + 1), port: 22, user: 'root', keyName: 'stack', groups: [group], vars: {}, hostKeys: [], become: null };
    const log = `/var/tmp/simplecm-marks/${hostname}`;
    return { host, operations: [loggedOp(0, log, 'slept', seconds), loggedOp(1, log, 'marked')] };
  });
}

/** The operation log of every inventory host of a group (its lines, sorted), read inside the host containers. */
async function operationLogs(group: string): Promise<Map<string, string[]>> {
  const logs = new Map<string, string[]>();
  for (let n = 1; n <= 5; n++) {
    const [id] = await containersOf(`host${n}`, env());
    const out = await mustDocker(['exec', id!, 'sh', '-c', `cd /var/tmp/simplecm-marks 2>/dev/null && for f in ${group}-*; do [ -f "$f" ] && sed "s|^|$f |" "$f"; done; true`], env());
    for (const line of out.split('\n').filter(Boolean)) {
      const [name, tag] = line.split(' ');
      logs.set(name!, [...(logs.get(name!) ?? []), tag!].sort());
    }
  }
  return logs;
}

/** Host jobs being worked on right now (BullMQ's active list of the hosts queue). */
async function activeHostJobs(): Promise<number> {
  const redis = new Redis(clientEnv(state).SIMPLECM_REDIS_URL!, { maxRetriesPerRequest: 1 });
  try {
    return await redis.llen('simplecm:hosts:active');
  } finally {
    redis.disconnect();
  }
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
  let sampleRunMounts: unknown[] = ['not looked at'];

  it('(1) converges the sample desired state with three worker containers: a one-shot run container submits it to the two resident masters', async () => {
    expect(await containersOf('worker', env())).toHaveLength(3);
    expect(await containersOf('master', env())).toHaveLength(2);
    // Kept after it exits (no --rm) to look at its mounts, then removed.
    const master = startRun(['enqueue', '--wait'], env(), 'simplecm-local-sample-run');
    const code = await master.exited;
    const output = master.output();
    sampleRunMounts = JSON.parse(await mustDocker(['inspect', '-f', '{{json .Mounts}}', 'simplecm-local-sample-run'], env())) as unknown[];
    await mustDocker(['rm', 'simplecm-local-sample-run'], env());
    // Planned by a master: the run container has no signing key.
    expect(output).toMatch(/submitted to the masters \(2 running\)/);
    saveArtifact('sample-run.txt', output);
    log(`sample run recap:\n${output.split('\n').slice(-12).join('\n')}`);
    // host5 fails on purpose (a file in a missing directory): enqueue --wait exits 1.
    expect({ code, tail: output.slice(-2000) }).toEqual({ code: 1, tail: expect.stringMatching(/5\/5 hosts/) });
    sampleRunId = runIdOf(output)!;
    expect(sampleRunId).toBeDefined();

    const hosts = (await resultStore(cassandra, 'simplecm').pageRunHosts(sampleRunId, { pageSize: 100 })).items;
    // The example state (examples/demo-state) on fresh hosts: host1–4 run their seven operations
    // (the web role's reload handler fires, its config and page having just been written); host5
    // stops at its second and skips the third.
    const recap = Object.fromEntries(hosts.map((h) => [h.hostname, { status: h.status, ...h.counts }]));
    const web = { status: 'changed', ok: 1, changed: 6, failed: 0, skipped: 0, unreachable: 0, rejected: 0 };
    expect(recap).toEqual({ host1: web, host2: web, host3: web, host4: web, host5: { status: 'failed', ok: 0, changed: 1, failed: 1, skipped: 1, unreachable: 0, rejected: 0 } });
    expect(output).toMatch(/5\/5 hosts; operations ok=4 changed=25 failed=1 skipped=1 unreachable=0/);
    // Results in Cassandra, one row per operation that ran.
    for (const h of ['host1', 'host2', 'host3', 'host4']) expect(await resultStore(cassandra, 'simplecm').getOperationResults(sampleRunId, h)).toHaveLength(7);
    // The work really happened in the host containers.
    const [host1] = await containersOf('host1', env());
    expect(await mustDocker(['exec', host1!, 'cat', '/etc/simplecm-demo/managed'], env())).toContain('managed by SimpleCM on host1');
    // Spread over the worker containers, each named by itself.
    expect(new Set(hosts.map((h) => h.worker)).size).toBeGreaterThanOrEqual(1);
    for (const h of hosts) expect(h.worker).toMatch(/^worker-[0-9a-f]{8}$/);
  });

  it('(1) a second apply of the sample state changes nothing, and the reload handler does not fire again', async () => {
    const master = startRun(['enqueue', '--wait', '--hosts', 'host1,host2,host3,host4'], env());
    const code = await master.exited;
    const output = master.output();
    log(`second sample run recap:\n${output.split('\n').slice(-7).join('\n')}`);
    expect({ code, tail: output.slice(-2000) }).toEqual({ code: 0, tail: expect.stringMatching(/4\/4 hosts; operations ok=24 changed=0 failed=0 skipped=4 unreachable=0/) });
    const [host1] = await containersOf('host1', env());
    expect((await mustDocker(['exec', host1!, 'sh', '-c', 'wc -l < /etc/simplecm-demo/web-reloads'], env())).trim()).toBe('1');
  });

  it('(1) the dashboard answers behind its login, and shows the run', async () => {
    const base = addresses.dashboard;
    const anonymous = await fetch(`${base}/`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toMatch(/^\/login/);
    expect((await fetch(`${base}/`, { redirect: 'manual' })).status).toBe(401);
    const wrong = await fetch(`${base}/login`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ username: 'operator', password: 'not-the-password' }) });
    expect(wrong.status).toBe(401);
    const login = await fetch(`${base}/login`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ username: 'operator', password: state.env.SIMPLECM_DASHBOARD_PASSWORD! }) });
    expect(login.status).toBe(303);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const page = await fetch(`${base}/`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(sampleRunId.slice(0, 8));
  });

  it('(4) workers read the key as a non-root user through the keys init step; the key stays 0600 on this machine; the master has only the job signing key', async () => {
    const key = path.join(state.secretsDir, 'keys', 'stack');
    const st = fs.statSync(key);
    expect({ mode: (st.mode & 0o777).toString(8), uid: st.uid }).toEqual({ mode: '600', uid: process.getuid!() });
    const [worker] = await containersOf('worker', env());
    expect((await mustDocker(['exec', worker!, 'id', '-u'], env())).trim()).toBe('10001');
    expect((await mustDocker(['exec', worker!, 'stat', '-c', '%u %a', '/etc/simple-cm/keys/stack'], env())).trim()).toBe('10001 400');
    expect(await mustDocker(['exec', worker!, 'ls', '/etc/simple-cm/keys'], env())).toBe('stack\n');
    // Without the init step, the same user cannot read the operator's key as mounted (the bug this avoids).
    const direct = await docker(['run', '--rm', '--network', 'none', '-v', `${path.dirname(key)}:/etc/simple-cm/keys:ro`, '--entrypoint', 'node', 'simplecm/app:0.1.0', '-e', "require('fs').readFileSync('/etc/simple-cm/keys/stack')"], env());
    expect(direct.code).not.toBe(0);
    expect(direct.stderr + direct.stdout).toMatch(/EACCES/);
    // sshd (StrictModes) accepted the key: the hosts converged above; its copy is root's and 0600.
    const [host2] = await containersOf('host2', env());
    expect((await mustDocker(['exec', host2!, 'stat', '-c', '%U %a', '/root/.ssh/authorized_keys'], env())).trim()).toBe('root 600');
    // Each master's container mounts only the job signing key and the seal public key; the run's (kept from the sample run) nothing; the image has no key.
    for (const id of await containersOf('master', env())) {
      const mounts = JSON.parse(await mustDocker(['inspect', '-f', '{{json .Mounts}}', id], env())) as Array<{ Type: string; Name?: string; Destination: string }>;
      expect(mounts.map((m) => ({ type: m.Type, name: m.Name, destination: m.Destination })).sort((a, b) => a.destination.localeCompare(b.destination))).toEqual([
        { type: 'volume', name: `${project}_seal-public-key`, destination: '/etc/simple-cm/seal-public' },
        { type: 'volume', name: `${project}_job-signing-key`, destination: '/etc/simple-cm/signing' },
      ]);
    }
    expect(sampleRunMounts).toEqual([]);
    const inImage = await docker(['run', '--rm', '--network', 'none', '--entrypoint', 'sh', 'simplecm/app:0.1.0', '-c', 'ls -A /etc/simple-cm 2>&1; find / -xdev \\( -name "stack" -o -name "id_*" \\) -path "*key*" 2>/dev/null'], env());
    expect(inImage.stdout).toMatch(/No such file or directory\n$/);
  });

  it('(4b) job keys: workers get the public keys, the result key and the seal keys, results consumers the result key, only the master the signing key', async () => {
    for (const file of ['signing.pem', 'result.key']) {
      const st = fs.statSync(path.join(state.secretsDir, 'job-keys', file));
      expect({ file, mode: (st.mode & 0o777).toString(8) }).toEqual({ file, mode: '600' });
    }
    const [worker] = await containersOf('worker', env());
    expect((await mustDocker(['exec', worker!, 'stat', '-c', '%u %a', '/etc/simple-cm/result/result.key'], env())).trim()).toBe('10001 400');
    expect(await mustDocker(['exec', worker!, 'ls', '/etc/simple-cm/job-public-keys'], env())).toBe('master-1.pem\n');
    const [results] = await containersOf('results', env());
    expect((await mustDocker(['exec', results!, 'stat', '-c', '%u %a', '/etc/simple-cm/result/result.key'], env())).trim()).toBe('10001 400');
    for (const service of ['worker', 'results', 'dashboard']) {
      const [id] = await containersOf(service, env());
      // Private keys (grep) and what is mounted (ls): a worker holds the SSH key and the seal keys that open sensitive values.
      const found = await mustDocker(['exec', id!, 'sh', '-c', 'grep -rl "PRIVATE KEY" /etc/simple-cm 2>/dev/null; ls /etc/simple-cm; true'], env());
      const expected = service === 'worker' ? ['/etc/simple-cm/keys/stack', '/etc/simple-cm/seal-keys/seal-1.pem', 'job-public-keys', 'keys', 'known', 'result', 'seal-keys'] : service === 'results' ? ['result'] : [];
      expect({ service, found: found.split('\n').filter(Boolean).sort() }).toEqual({ service, found: expected });
    }
  });

  it('(5) images: production dependencies only, a non-root user, health checks; sizes reported', async () => {
    const devDependencies = Object.keys((JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies);
    const listed = await mustDocker(['run', '--rm', '--network', 'none', '--entrypoint', 'sh', 'simplecm/app:0.1.0', '-c', "ls /app/node_modules; ls /app/node_modules/@types 2>/dev/null | sed 's|^|@types/|'; id -un; ls -A /app"], env());
    const present = new Set(listed.split('\n'));
    expect(devDependencies.filter((d) => present.has(d))).toEqual([]);
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
    // A client that does not log in (the default user is off) gets nothing but NOAUTH.
    const [host, port] = addresses.redis.split(':');
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect({ host, port: Number(port) }, () => socket.write('PING\r\nKEYS *\r\n'));
      let text = '';
      socket.on('data', (b: Buffer) => {
        text += b.toString();
        if (text.split('\r\n').length > 2) socket.end();
      });
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(reply.split('\r\n').filter(Boolean)).toEqual([expect.stringMatching(/^-NOAUTH/), expect.stringMatching(/^-NOAUTH/)]);
    const { SIMPLECM_CASSANDRA_USERNAME: _user, SIMPLECM_CASSANDRA_PASSWORD: _password, ...anonymous } = clientEnv(state);
    await expect(connectCassandra(connectionConfigFromEnv(anonymous).cassandra)).rejects.toThrow(/auth|credentials|Authentication/i);
    const defaultSuperuser = connectionConfigFromEnv({ ...clientEnv(state), SIMPLECM_CASSANDRA_USERNAME: 'cassandra', SIMPLECM_CASSANDRA_PASSWORD: 'cassandra' }).cassandra;
    await expect(connectCassandra(defaultSuperuser)).rejects.toThrow(/auth|credentials|password|login/i);
  });

  it('(3) a worker container and a results-consumer container killed mid-run: nothing lost, nothing doubled, no operation executed twice', async () => {
    const entries = longRun('killed', 15, 4);
    await putDesiredState(entries);
    const master = startRun(['enqueue', '--wait', '--group', 'killed'], env());
    const runId = await waitUntil('the master to print its run id', () => runIdOf(master.output()), { timeoutMs: 120_000, detail: master.output });
    // Every worker busy (three workers × concurrency 2): the one killed holds host jobs.
    await waitUntil('five host jobs active', async () => (await activeHostJobs()) >= 5, { timeoutMs: 120_000, detail: master.output });
    const [victim] = await containersOf('worker', env());
    const [results] = await containersOf('results', env());
    await mustDocker(['kill', victim!], env());
    const killedAt = Date.now();
    await mustDocker(['kill', results!], env());
    log(`killed worker ${victim!.slice(0, 12)} and results consumer ${results!.slice(0, 12)} with ${await recordedHosts(runId)}/15 hosts recorded, ${await activeHostJobs()} active`);
    // The results consumer comes back (as its restart policy would); the killed worker does not.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await mustDocker(['start', results!], env());
    const code = await master.exited;
    const recoverySeconds = (Date.now() - killedAt) / 1000;
    const output = master.output();
    saveArtifact('killed-run.txt', output);
    log(`run with a killed worker, recap:\n${output.split('\n').slice(-6).join('\n')}`);
    expect({ code, tail: output.slice(-1500) }).toEqual({ code: 0, tail: expect.stringMatching(/15\/15 hosts/) });
    // Counted on the hosts: the killed worker's hosts were taken over by another worker, which
    // attached to each host's journal (issue 16): what had run is collected, not run again.
    const logs = await operationLogs('killed');
    expect([...logs.keys()].sort()).toEqual(entries.map((e) => e.host.hostname).sort());
    const opsRunTwice = [...logs.values()].reduce((sum, lines) => sum + executedTwice(lines), 0);
    const row = await recordFaultRow(cassandra, 'simplecm', runId, 'worker container killed mid-host (docker kill; results container killed too)', new Map(entries.map((e) => [e.host.hostname, e.operations.length])), {
      opsRunTwice,
      recoverySeconds,
      note: 'recovery: docker kill of the worker → the one-shot run (enqueue --wait) reports the run finished (the results container is started again after 3 s)',
    }, containerFaultRowsFile);
    saveArtifact('killed-run.json', row);
    log(`operations executed twice on the hosts: ${opsRunTwice}; recovery ${recoverySeconds.toFixed(1)} s`);
    expect(row).toMatchObject({ hostsInRun: 15, hostsRecorded: 15, hostsConverged: 15, resultsExpected: 30, resultsWritten: 30, duplicated: 0, lost: 0, opsRunTwice: 0 });
    expect([...logs.entries()].filter(([, lines]) => lines.join(' ') !== 'marked slept')).toEqual([]);
    await mustCompose(['up', '-d', '--no-build', '--no-recreate', '--scale', 'worker=3'], env());
  }, 300_000);

  it('(2) workers scaled 3 → 6 → 1 during a long run: every host converged once, none lost', async () => {
    const total = 40;
    const entries = longRun('scaled', total, 8);
    await putDesiredState(entries);
    expect(await containersOf('worker', env())).toHaveLength(3);
    const master = startRun(['enqueue', '--wait', '--group', 'scaled'], env());
    const runId = await waitUntil('the master to print its run id', () => runIdOf(master.output()), { timeoutMs: 120_000, detail: master.output });
    await waitUntil('host jobs active', async () => (await activeHostJobs()) >= 1, { timeoutMs: 120_000, detail: master.output });
    await mustCompose(['up', '-d', '--no-build', '--no-recreate', '--scale', 'worker=6'], env());
    expect(await containersOf('worker', env())).toHaveLength(6);
    const at6 = await recordedHosts(runId);
    // Scaling down stops five workers with SIGTERM: each finishes the hosts it holds and exits.
    await mustCompose(['up', '-d', '--no-build', '--no-recreate', '--scale', 'worker=1'], env());
    expect(await containersOf('worker', env())).toHaveLength(1);
    const at1 = await recordedHosts(runId);
    log(`scaled 3 → 6 with ${at6}/${total} hosts recorded, 6 → 1 with ${at1}/${total}`);
    // The scaling happened during the run, not after it.
    expect(at1).toBeLessThan(total);
    const code = await master.exited;
    const output = master.output();
    saveArtifact('scaled-run.txt', output);
    expect({ code, tail: output.slice(-1500) }).toEqual({ code: 0, tail: expect.stringMatching(new RegExp(`${total}/${total} hosts`)) });
    const row = await measureRun(cassandra, 'simplecm', runId, new Map(entries.map((e) => [e.host.hostname, e.operations.length])));
    saveArtifact('scaled-run.json', row);
    expect(row).toMatchObject({ hostsInRun: total, hostsRecorded: total, hostsConverged: total, duplicated: 0, lost: 0 });
    // Every host's operations ran exactly once.
    const logs = await operationLogs('scaled');
    expect(logs.size).toBe(total);
    expect([...logs.entries()].filter(([, lines]) => lines.join(' ') !== 'marked slept')).toEqual([]);
  }, 300_000);

  it('(5) docker-compose down -v leaves no container, volume or network of the project', async () => {
    await composeDown(state);
    const containers = await mustDocker(['ps', '-aq', '--filter', 'label=com.docker.compose.project=simplecm-local'], env());
    const volumes = await mustDocker(['volume', 'ls', '-q'], env());
    const networks = await mustDocker(['network', 'ls', '--format', '{{.Name}}'], env());
    expect({ containers: containers.trim(), volumes: volumes.trim(), networks: networks.trim().split('\n').sort() }).toEqual({ containers: '', volumes: '', networks: ['host', 'none'] });
    // No container overlay or volume is still mounted.
    expect(leftovers().filter((line) => /overlay|volumes/.test(line))).toEqual([]);
  });
});
