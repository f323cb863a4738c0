import { setTimeout as sleep } from 'node:timers/promises';
import { stackEnv, startProcess, stopStarted, type Started } from '@simplecm/stack';
import { createTestSystem, type TestSystem } from '../support/system';

/** Waits until the process has printed a line matching `pattern` (the test's timeout bounds it). */
async function waitForOutput(started: Started, pattern: RegExp): Promise<RegExpExecArray> {
  for (;;) {
    const match = pattern.exec(started.output());
    if (match) return match;
    if (started.child.exitCode !== null) throw new Error(`process ended before printing ${pattern}:\n${started.output()}`);
    await sleep(100);
  }
}

const metricsUrl = (started: Started) => waitForOutput(started, /"metricsUrl":"(http:\/\/[^"]+)\/metrics"/).then((m) => m[1] as string);

function jsonLines(output: string): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The value of one sample line of a Prometheus text, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const lines = text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
  const line = lines.find((l) => Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('metrics and structured logs during a run', () => {
  let system: TestSystem;
  let worker: Started;
  let consumer: Started;
  beforeAll(async () => {
    system = await createTestSystem('telemetry');
    await system.seed();
    [worker] = system.startWorkers(1, ['--metrics-port', '0']) as [Started];
    consumer = startProcess('results-consumer', ['--metrics-port', '0'], system.env);
    system.processes.push(consumer);
  });
  afterAll(async () => {
    await system?.close();
  });

  it("counts the run's hosts by status, its results written, and logs JSON lines with run id, host and worker", async () => {
    const [workerUrl, consumerUrl] = await Promise.all([metricsUrl(worker), metricsUrl(consumer)]);
    const { runId, output } = await system.enqueue(['--check', '--wait']);
    expect(runId).toBeDefined();
    const recapStatuses = [...output.matchAll(/^\s*host\d+\s+(\w+)/gm)].map((m) => m[1] as string);
    expect(recapStatuses).toHaveLength(5);

    const workerMetrics = await (await fetch(`${workerUrl}/metrics`)).text();
    for (const status of new Set(recapStatuses)) {
      expect(sample(workerMetrics, 'simplecm_hosts_total', { status })).toBe(recapStatuses.filter((s) => s === status).length);
    }
    expect(sample(workerMetrics, 'simplecm_ssh_connect_seconds_count', {})).toBeGreaterThan(0);
    expect(workerMetrics).toContain('simplecm_operation_duration_seconds_bucket');
    const consumerMetrics = await (await fetch(`${consumerUrl}/metrics`)).text();
    expect(sample(consumerMetrics, 'simplecm_results_written_total', {})).toBe(5);
    expect(sample(consumerMetrics, 'simplecm_cassandra_write_seconds_count', {})).toBeGreaterThan(0);
    // Queue depths (BullMQ's export, and the result stream's backlog under the same gauge) from
    // the worker and the consumer too, not only the dashboard: none waits unread once the run is done.
    for (const text of [workerMetrics, consumerMetrics]) {
      expect(text).toMatch(/bullmq_job_count\{queue="hosts", state="waiting"\} \d+/);
      expect(text).toMatch(/^bullmq_job_count\{queue="results", state="waiting"\} 0$/m);
      expect(text).toMatch(/^bullmq_job_count\{queue="results", state="active"\} \d+$/m);
      expect(text.match(/^# TYPE bullmq_job_count /gm)).toHaveLength(1);
    }

    const hostLines = jsonLines(worker.output()).filter((entry) => entry.runId === runId);
    expect(hostLines.map((entry) => entry.host).sort()).toEqual(['host1', 'host2', 'host3', 'host4', 'host5']);
    for (const entry of hostLines) expect(entry).toMatchObject({ app: 'worker', worker: 'w1', level: 30, time: expect.any(Number) });

    expect((await fetch(`${workerUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${workerUrl}/readyz`)).status).toBe(200);
    expect((await fetch(`${consumerUrl}/readyz`)).status).toBe(200);
  });

  it('the dashboard answers /healthz and /readyz without a login, and /metrics (with queue depths) only on its metrics port', async () => {
    const dashboard = startProcess('dashboard', ['--port', '0', '--metrics-port', '0'], {
      ...system.env,
      SIMPLECM_DASHBOARD_USER: 'operator',
      SIMPLECM_DASHBOARD_PASSWORD: 'a-long-test-password-1',
    });
    system.processes.push(dashboard);
    const site = (await waitForOutput(dashboard, /dashboard: (http:\/\/[^\s"]+)/))[1] as string;
    const metricsSite = (await waitForOutput(dashboard, /metrics, \/healthz and \/readyz on (http:\/\/[^\s"]+)/))[1] as string;
    expect((await fetch(new URL('/healthz', site))).status).toBe(200);
    const ready = await fetch(new URL('/readyz', site));
    expect(await ready.json()).toEqual({ ready: true, services: { redis: true, cassandra: true } });
    expect((await fetch(new URL('/metrics', site), { redirect: 'manual' })).status).not.toBe(200);
    const text = await (await fetch(`${metricsSite}/metrics`)).text();
    expect(text).toMatch(/bullmq_job_count\{queue="hosts", state="waiting"\} \d+/);
    expect(text).toMatch(/^bullmq_job_count\{queue="results", state="waiting"\} \d+$/m);
    expect(text).toMatch(/^bullmq_job_count\{queue="results", state="active"\} \d+$/m);
    expect(text.match(/^# TYPE bullmq_job_count /gm)).toHaveLength(1);
  });
});

describe('a worker whose Redis is down', () => {
  it('logs the outage once, answers /readyz 503, and ends on SIGTERM', async () => {
    const worker = startProcess('worker', ['--name', 'wdown', '--metrics-port', '0', '--shutdown-grace', '1000'], {
      ...stackEnv('t_unused'),
      SIMPLECM_REDIS_URL: 'redis://127.0.0.1:6499',
    });
    try {
      const url = await metricsUrl(worker);
      await waitForOutput(worker, /unreachable/);
      // ioredis retries every 0.2-2 s: over 5 s that is several attempts, each an error event.
      await sleep(5_000);
      const outages = jsonLines(worker.output()).filter((entry) => /unreachable/.test(String(entry.msg)));
      expect(outages).toHaveLength(1);
      expect(outages[0]).toMatchObject({ level: 40, msg: expect.stringMatching(/^Redis at 127\.0\.0\.1:6499 unreachable \(SIMPLECM_REDIS_URL\): .*; retrying$/) });
      expect(worker.output()).not.toMatch(/ECONNREFUSED[\s\S]*ECONNREFUSED/);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ ready: false, services: { redis: false } });
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      // /metrics still answers with the worker's own metrics; the queue depths Redis cannot give are left out.
      const metrics = await fetch(`${url}/metrics`);
      expect(metrics.status).toBe(200);
      const text = await metrics.text();
      expect(text).toContain('simplecm_hosts_total');
      expect(text).not.toContain('bullmq_job_count');
      worker.child.kill('SIGTERM');
      // Without the bounded close the worker never exits and the test's timeout fails it.
      expect(await worker.exited).toBe(0);
    } finally {
      await stopStarted(worker, 1_000);
    }
  }, 60_000);
});
