import { z } from 'zod';
import { newRunId, resultStore, runStore } from '@simplecm/store';
import { startProcess } from '@simplecm/stack';
import { runJsonSchema, simplecm } from '../support/simplecm';
import { createTestSystem, type TestSystem } from '../support/system';

// The `simplecm` command on the shared stack (non-destructive: no service is stopped; "down"
// means an address where nothing listens). Its own keyspace and queue prefix, the example fleet
// (examples/demo-state: host5 fails on purpose).

/** `simplecm runs --json` (README: JSON output). */
const runsJsonSchema = z.object({ runs: z.array(runJsonSchema), nextBefore: z.string().uuid().nullable() });
/** `simplecm results <run> --json`. */
const resultsJsonSchema = z.object({
  run: runJsonSchema.nullable(),
  items: z.array(z.object({ hostname: z.string(), status: z.string() }).passthrough()),
});

describe('simplecm', () => {
  let system: TestSystem;
  const hostsOf = async (runId: string) => (await resultStore(system.cassandra, system.keyspace).pageRunHosts(runId, { pageSize: 100 })).items.map((h) => h.hostname).sort();
  const runCount = async () => (await runStore(system.cassandra, system.keyspace).listRuns({ limit: 100 })).length;

  beforeAll(async () => {
    system = await createTestSystem('cli');
    await system.seed();
    system.startWorkers(1);
    system.startResults();
  });
  afterAll(async () => {
    if (process.env.CLI_TEST_DEBUG) for (const p of system.processes) console.log(p.output().slice(-3000));
    await system?.close();
  });

  it('every command answers --help with its flags, environment, an example and the exit codes', async () => {
    const expected: Record<string, RegExp[]> = {
      run: [/--limit PATTERN/, /--rerun-failed RUN_ID/, /--check /, /--diff /, /--json /, /--connect-timeout S/, /SIMPLECM_REDIS_URL/, /SIMPLECM_CASSANDRA_CONTACT_POINTS/, /simplecm run --limit/],
      exec: [/--limit PATTERN/, /-m, --module MODULE/, /-a, --args ATTRS/, /--no-wait/, /--json/, /SIMPLECM_REDIS_URL/, /simplecm exec --limit/],
      state: [/--connect-timeout S/, /SIMPLECM_CONNECT_TIMEOUT/, /SIMPLECM_CASSANDRA_CONTACT_POINTS/, /simplecm state diff/],
      runs: [/--limit N/, /--json/, /SIMPLECM_CASSANDRA_CONTACT_POINTS/],
      results: [/--host HOST/, /--output/, /--diff/, /--json/, /SIMPLECM_CASSANDRA_CONTACT_POINTS/],
      worker: [/--concurrency/, /SIMPLECM_WORKER_CONCURRENCY/, /SIMPLECM_REDIS_URL/],
      'results-consumer': [/SIMPLECM_REDIS_URL/, /SIMPLECM_CASSANDRA_CONTACT_POINTS/],
      dashboard: [/--port/, /SIMPLECM_REDIS_URL/],
    };
    for (const [command, patterns] of Object.entries(expected)) {
      const { code, stdout } = await simplecm([command, '--help'], system.env);
      expect({ command, code }).toEqual({ command, code: 0 });
      for (const p of patterns) expect(stdout).toMatch(p);
      expect(stdout).toMatch(/examples:/);
      expect(stdout).toMatch(/3 {2}infrastructure unavailable/);
    }
    const top = await simplecm(['--help'], system.env);
    expect(top.code).toBe(0);
    for (const c of ['run', 'exec', 'runs', 'results', 'state', 'worker', 'results-consumer', 'dashboard', 'stack', 'demo']) expect(top.stdout).toContain(`  ${c} `);
  });

  it('suggests the nearest command and the nearest flag, exit 2', async () => {
    const command = await simplecm(['rnu'], system.env);
    expect(command.code).toBe(2);
    expect(command.stderr).toMatch(/Did you mean run\?/);
    const flag = await simplecm(['run', '--lmit', 'web'], system.env);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/did you mean --limit\?/);
  });

  it('run --limit converges exactly the hosts the pattern selects, through the real master', async () => {
    const { code, stdout } = await simplecm(['run', '--limit', 'host[1-3]:!host2', '--check', '--wait'], system.env);
    expect(code).toBe(0);
    const runId = /run ([0-9a-f-]{36})/.exec(stdout)?.[1];
    expect(await hostsOf(runId!)).toEqual(['host1', 'host3']);
  });

  it('an empty target is exit 2 and records nothing: a pattern matching no host, an unknown group', async () => {
    const before = await runCount();
    expect((await simplecm(['run', '--limit', 'nosuch*'], system.env)).code).toBe(2);
    const group = await simplecm(['run', '--group', 'nosuch'], system.env);
    expect(group.code).toBe(2);
    expect(group.stderr).toMatch(/no hosts match/);
    expect(await runCount()).toBe(before);
  });

  it('run --rerun-failed targets the failed hosts of a run; none failed is exit 2', async () => {
    const first = await system.enqueue(['--wait']);
    expect(first.code).toBe(1); // host5 fails on purpose
    const again = await simplecm(['run', '--rerun-failed', first.runId!, '--wait'], system.env);
    expect(again.code).toBe(1);
    const rerunId = /run ([0-9a-f-]{36})/.exec(again.stdout)?.[1];
    expect(await hostsOf(rerunId!)).toEqual(['host5']);

    const clean = await simplecm(['run', '--limit', 'host1', '--wait'], system.env);
    expect(clean.code).toBe(0);
    const cleanId = /run ([0-9a-f-]{36})/.exec(clean.stdout)?.[1];
    const before = await runCount();
    const none = await simplecm(['run', '--rerun-failed', cleanId!], system.env);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no failed, unreachable or rejected host/);
    expect(await runCount()).toBe(before);
  });

  it('results pages and --rerun-failed read a run of 3 buckets in host order (issue 20)', async () => {
    const runId = newRunId();
    const hosts = Array.from({ length: 12 }, (_, i) => `host${i + 1}`);
    const failed = new Set(['host2', 'host4']);
    await runStore(system.cassandra, system.keyspace).createRun({ runId, mode: 'apply', target: 'all', hostCount: hosts.length, bucketCount: 3 });
    const at = Date.UTC(2026, 10, 29);
    await resultStore(system.cassandra, system.keyspace).recordHostResults(
      hosts.map((hostname) => ({ result: { runId, hostname, status: failed.has(hostname) ? 'failed' : 'ok', worker: 'w', startedAt: at, endedAt: at + 1, cause: null, operations: [] }, mode: 'apply' as const })),
    );
    const seen: string[] = [];
    let page: string | undefined;
    do {
      const out = await simplecm(['results', runId, '--page-size', '5', '--json', ...(page ? ['--page', page] : [])], system.env);
      expect(out.code).toBe(0);
      const body = resultsJsonSchema.extend({ nextPage: z.string().optional() }).parse(JSON.parse(out.stdout));
      seen.push(...body.items.map((h) => h.hostname));
      page = body.nextPage;
    } while (page);
    expect(seen).toEqual([...hosts].sort());
    const text = await simplecm(['results', runId, '--status', 'failed', '--page-size', '1'], system.env);
    expect(text.stdout).toMatch(/host2\b/);
    expect(text.stdout).not.toMatch(/host4\b/);
    const token = /next page: .* --status failed --page-size 1 --page ([0-9a-f]+)/.exec(text.stdout)?.[1];
    const second = await simplecm(['results', runId, '--status', 'failed', '--page-size', '1', '--page', token!], system.env);
    expect(second.stdout).toMatch(/host4\b/);
    expect(second.stdout).not.toMatch(/next page/);
    const rerun = await simplecm(['run', '--rerun-failed', runId, '--wait'], system.env);
    expect(rerun.code).toBe(0);
    expect(await hostsOf(/run ([0-9a-f-]{36})/.exec(rerun.stdout)![1]!)).toEqual(['host2', 'host4']);
  });

  it('runs --json and results --json have their documented shapes', async () => {
    const runs = await simplecm(['runs', '--json'], system.env);
    expect(runs.code).toBe(0);
    const parsed = runsJsonSchema.parse(JSON.parse(runs.stdout));
    expect(parsed.runs.length).toBeGreaterThan(0);
    const results = await simplecm(['results', parsed.runs[0]!.runId, '--json'], system.env);
    expect(results.code).toBe(0);
    expect(resultsJsonSchema.parse(JSON.parse(results.stdout)).run?.runId).toBe(parsed.runs[0]!.runId);
  });

  it('Redis or Cassandra unreachable: exit 3 naming the service, address and setting, no run row left', async () => {
    const before = await runCount();
    const redisDown = startProcess('enqueue', ['--connect-timeout', '5'], { ...system.env, SIMPLECM_REDIS_URL: 'redis://127.0.0.1:6499' });
    expect(await redisDown.exited).toBe(3);
    expect(redisDown.output()).toMatch(/Redis is unreachable at redis:\/\/127\.0\.0\.1:6499\/? \(set by SIMPLECM_REDIS_URL\)/);
    const cassandraDown = startProcess('enqueue', ['--connect-timeout', '5'], { ...system.env, SIMPLECM_CASSANDRA_CONTACT_POINTS: '127.0.0.1:9499' });
    expect(await cassandraDown.exited).toBe(3);
    expect(cassandraDown.output()).toMatch(/Cassandra is unreachable at 127\.0\.0\.1:9499 \(set by SIMPLECM_CASSANDRA_CONTACT_POINTS\)/);
    const runsDown = await simplecm(['runs'], { ...system.env, SIMPLECM_CASSANDRA_CONTACT_POINTS: '127.0.0.1:9499' });
    expect(runsDown.code).toBe(3);
    expect(await runCount()).toBe(before);
  });

  it('state commands with Cassandra unreachable: one line naming Cassandra, its address and setting, exit 3; validate needs no Cassandra', async () => {
    const down = { ...system.env, SIMPLECM_CASSANDRA_CONTACT_POINTS: '127.0.0.1:9499' };
    const commands = [['diff', 'examples/demo-state'], ['apply', 'examples/demo-state'], ['seed'], ['export', `/tmp/simplecm-export-${system.prefix}`], ['revisions']];
    for (const command of commands) {
      const { code, stderr } = await simplecm(['state', ...command, '--connect-timeout', '5'], down);
      expect({ command, code }).toEqual({ command, code: 3 });
      expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^state: Cassandra is unreachable at 127\.0\.0\.1:9499 \(set by SIMPLECM_CASSANDRA_CONTACT_POINTS\)/)]);
    }
    expect((await simplecm(['state', 'validate', 'examples/demo-state'], down)).code).toBe(0);
    const bad = await simplecm(['state', 'revisions', '--connect-timeout', 'soon'], down);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--connect-timeout: must be a whole number of seconds/);
  });
});
