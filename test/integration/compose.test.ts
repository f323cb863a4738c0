import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { connectionConfigFromEnv } from '@simplecm/config';
import { compileDashboardOptions } from '@simplecm/dashboard';
import { compileEnqueueOptions } from '@simplecm/master';
import { compileWorkerOptions } from '@simplecm/worker';
import { entryPoints, repoRoot } from '@simplecm/stack';

// No Docker engine runs here, so docker-compose.yml is validated instead of run: schema (Debian's
// docker-compose `config`), pinned images, every app's environment against its own config
// schema, and every file it refers to.
interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
  healthcheck?: unknown;
}

const file = path.join(repoRoot, 'docker-compose.yml');
const text = fs.readFileSync(file, 'utf8');
const secrets = { SIMPLECM_DASHBOARD_PASSWORD: 'a-long-enough-password', SIMPLECM_DASHBOARD_SESSION_SECRET: 's'.repeat(40) };
const services = (parse(text, { merge: true }) as { services: Record<string, Service> }).services;
/** ${VAR:?message} → the value the operator exports (the test's stand-ins). */
const interpolate = (env: Record<string, string> = {}) =>
  Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{(\w+):\?[^}]*\}/g, (_, name: string) => secrets[name as keyof typeof secrets] ?? '')]));

describe('docker-compose.yml', () => {
  it('passes docker-compose config (Debian docker-compose, no engine needed)', () => {
    const r = spawnSync('docker-compose', ['-f', file, 'config', '-q'], { env: { ...process.env, ...secrets }, encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('refuses to start the dashboard without its secrets', () => {
    const r = spawnSync('docker-compose', ['-f', file, 'config', '-q'], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/SIMPLECM_DASHBOARD_PASSWORD/);
  });

  it('pins every image and base image', () => {
    for (const [name, service] of Object.entries(services)) {
      expect({ name, image: service.image }).toEqual({ name, image: expect.stringMatching(/^[\w./-]+:(?!latest)[\w.-]*\d[\w.-]*$/) });
    }
    for (const dockerfile of ['docker/app.Dockerfile', 'docker/ssh-host.Dockerfile']) {
      const froms = fs.readFileSync(path.join(repoRoot, dockerfile), 'utf8').split('\n').filter((l) => l.startsWith('FROM '));
      expect(froms.length).toBeGreaterThan(0);
      for (const from of froms) expect(from).toMatch(/^FROM [\w./-]+:(?!latest)[\w.-]*\d[\w.-]*( AS \w+)?$/);
    }
  });

  it('gives every SimpleCM process an environment its configuration accepts', () => {
    const apps = Object.entries(services).filter(([, s]) => s.image?.startsWith('simplecm/app'));
    expect(apps.map(([n]) => n).sort()).toEqual(['dashboard', 'master', 'results', 'schema', 'worker']);
    for (const [name, service] of apps) {
      const env = interpolate(service.environment);
      // The image runs bin/app.cjs, whose first argument names the app (the schema job's too).
      const [first, ...args] = service.command ?? [];
      expect(service.entrypoint).toBeUndefined();
      expect(Object.keys(entryPoints)).toContain(first);
      const config = connectionConfigFromEnv(env);
      expect(config.cassandra.contactPoints).toHaveLength(3);
      if (name === 'worker') expect(compileWorkerOptions(args, env)).toMatchObject({ concurrency: 50, knownHostsFile: '/etc/simple-cm/known/known_hosts' });
      if (name === 'dashboard') expect(compileDashboardOptions(args, env)).toBeDefined();
      if (name === 'master') expect(compileEnqueueOptions(args, env)).toMatchObject({ wait: true });
    }
  });

  it('scales workers, orders start-up with health checks, and mounts keys read-only', () => {
    expect(services.worker!.deploy?.replicas).toBeGreaterThanOrEqual(2);
    for (const name of ['cassandra1', 'cassandra2', 'cassandra3', 'redis', 'host1']) expect(services[name]!.healthcheck).toBeDefined();
    expect(services.worker!.depends_on).toMatchObject({ redis: { condition: 'service_healthy' }, 'known-hosts': { condition: 'service_completed_successfully' } });
    expect(services.worker!.volumes).toContain('./secrets/keys:/etc/simple-cm/keys:ro');
  });

  it('refers only to files that exist, or to ./secrets, which the header says how to make', () => {
    expect(text).toMatch(/ssh-keygen -t ed25519 -N '' -f secrets\/keys\/stack/);
    for (const service of Object.values(services)) {
      if (service.build) expect(fs.existsSync(path.join(repoRoot, service.build.context, service.build.dockerfile))).toBe(true);
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (!source.startsWith('./')) continue;
        if (source.startsWith('./secrets/')) continue;
        expect(fs.existsSync(path.join(repoRoot, source))).toBe(true);
      }
    }
    expect(fs.readFileSync(path.join(repoRoot, '.gitignore'), 'utf8')).toMatch(/^secrets\/$/m);
  });

  it('builds an image that needs nothing from the development tooling', () => {
    const dockerfile = fs.readFileSync(path.join(repoRoot, 'docker/app.Dockerfile'), 'utf8');
    const copied = dockerfile.split('\n').filter((l) => l.startsWith('COPY ') && !l.includes('--from=')).map((l) => l.split(/\s+/)[1]!);
    for (const source of copied) expect(fs.existsSync(path.join(repoRoot, source))).toBe(true);
    // Of the tooling, only its manifest: npm ci checks every workspace against the lock file.
    expect(copied.filter((source) => /^(tools|scripts|bench|test)\b/.test(source))).toEqual(['tools/stack/package.json']);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "\/app\/bin\/app\.cjs"\]$/m);
  });
});
