import http from 'node:http';
import { PassThrough } from 'node:stream';
import { createLogger, createProcessMetrics, formatLogLine, outageReporter, startOpsServer } from '../index';

function collect(stream: PassThrough): () => string[] {
  const lines: string[] = [];
  let pending = '';
  stream.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    lines.push(...parts);
  });
  return () => lines;
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('createLogger', () => {
  it('writes one JSON object per line with time, level, app and the fields given', async () => {
    const out = new PassThrough();
    const lines = collect(out);
    const logger = createLogger({ app: 'worker', base: { worker: 'w1' }, destination: out, pretty: false });
    logger.info({ runId: 'r1', host: 'web1' }, 'host web1 converged');
    await new Promise((r) => setImmediate(r));
    const entry = JSON.parse(lines()[0] ?? '') as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 30, app: 'worker', worker: 'w1', runId: 'r1', host: 'web1', msg: 'host web1 converged' });
    expect(typeof entry.time).toBe('number');
  });

  it('writes human lines when pretty', async () => {
    const out = new PassThrough();
    const lines = collect(out);
    createLogger({ app: 'worker', destination: out, pretty: true }).warn({ host: 'web1' }, 'slow');
    await new Promise((r) => setImmediate(r));
    expect(lines()[0]).toMatch(/^\d\d:\d\d:\d\d WARN  worker slow {2}host=web1$/);
  });
});

describe('formatLogLine', () => {
  it('leaves a line that is not JSON as it is', () => {
    expect(formatLogLine('plain words')).toBe('plain words');
  });
  it('quotes values with spaces or control characters', () => {
    expect(formatLogLine(JSON.stringify({ time: 0, level: 50, msg: 'm', cause: 'a b\u001b[2J' }))).toBe('00:00:00 ERROR m  cause="a b\\u001b[2J"');
  });
});

describe('outageReporter', () => {
  it('logs an outage once however often it is reported, and the return once, with its length', () => {
    const warnings: string[] = [];
    const infos: string[] = [];
    let now = 1_000;
    const reporter = outageReporter(
      { service: 'Redis', address: '127.0.0.1:6380', setting: 'SIMPLECM_REDIS_URL' },
      { warn: (_f, msg) => warnings.push(msg), info: (_f, msg) => infos.push(msg) },
      () => now,
    );
    expect(reporter.reachable()).toBe(true);
    for (let i = 0; i < 50; i++) reporter.down(new Error('connect ECONNREFUSED 127.0.0.1:6380'));
    expect(reporter.reachable()).toBe(false);
    now += 12_000;
    reporter.up();
    reporter.up();
    expect(warnings).toEqual(['Redis at 127.0.0.1:6380 unreachable (SIMPLECM_REDIS_URL): connect ECONNREFUSED 127.0.0.1:6380; retrying']);
    expect(infos).toEqual(['Redis reachable again after 12 s']);
    reporter.down(new Error('again'));
    expect(warnings).toHaveLength(2);
  });
});

describe('startOpsServer', () => {
  it('answers /healthz, /readyz (503 while a service is down) and /metrics in Prometheus format', async () => {
    const metrics = createProcessMetrics({ worker: 'w1' });
    metrics.hostsTotal.inc({ status: 'changed' }, 3);
    let redisUp = true;
    const server = await startOpsServer({ registry: metrics.registry, readiness: () => ({ redis: redisUp }), extraMetrics: async () => 'bullmq_job_count{queue="hosts",state="waiting"} 2\n' }, { host: '127.0.0.1', port: 0 });
    try {
      expect(await get(`${server.url}/healthz`)).toMatchObject({ status: 200 });
      expect(await get(`${server.url}/readyz`)).toMatchObject({ status: 200 });
      redisUp = false;
      const notReady = await get(`${server.url}/readyz`);
      expect(notReady.status).toBe(503);
      expect(JSON.parse(notReady.body)).toEqual({ ready: false, services: { redis: false } });
      const scraped = await get(`${server.url}/metrics`);
      expect(scraped.body).toContain('simplecm_hosts_total{status="changed",worker="w1"} 3');
      expect(scraped.body).toContain('# TYPE simplecm_operation_duration_seconds histogram');
      expect(scraped.body).toContain('bullmq_job_count{queue="hosts",state="waiting"} 2');
      expect((await get(`${server.url}/nothing`)).status).toBe(404);
    } finally {
      await server.close();
      await server.close();
    }
  });
});
