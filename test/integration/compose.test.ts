import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { connectionConfigFromEnv } from '@simplecm/config';
import { compileDashboardOptions } from '@simplecm/dashboard';
import { compileEnqueueOptions, compileMasterOptions } from '@simplecm/master';
import { compileResultsOptions } from '@simplecm/results';
import { compileWorkerOptions } from '@simplecm/worker';
import { redisRoles } from '@simplecm/queue';
import { entryPoints, redisRolePasswordVariable, redisUsersAclTemplate, repoRoot } from '@simplecm/stack';

// Static checks of docker-compose.yml (the production layout) and docker/compose.local.yml (the
// host-network layout the containers suite runs for real, `npm run test:containers`): schema
// (Debian's docker-compose `config`, no engine needed), pinned images, every app's environment
// against its own config schema, the networks and credentials, and every file they refer to.
interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
  scale?: number;
  profiles?: string[];
  healthcheck?: unknown;
  networks?: string[];
  network_mode?: string;
  ports?: string[];
  user?: string;
}

const file = path.join(repoRoot, 'docker-compose.yml');
const text = fs.readFileSync(file, 'utf8');
const secrets = {
  SIMPLECM_REDIS_PASSWORD: 'a-redis-password',
  SIMPLECM_REDIS_MASTER_PASSWORD: 'a-master-password',
  SIMPLECM_REDIS_WORKER_PASSWORD: 'a-worker-password',
  SIMPLECM_REDIS_RESULTS_PASSWORD: 'a-results-password',
  SIMPLECM_REDIS_DASHBOARD_PASSWORD: 'a-dashboard-password',
  SIMPLECM_CASSANDRA_PASSWORD: 'a-cassandra-password',
  SIMPLECM_DASHBOARD_PASSWORD: 'a-long-enough-password',
  SIMPLECM_DASHBOARD_SESSION_SECRET: 's'.repeat(40),
};
const services = (parse(text, { merge: true }) as { services: Record<string, Service> }).services;
const localFile = path.join(repoRoot, 'docker', 'compose.local.yml');
const localServices = (parse(fs.readFileSync(localFile, 'utf8'), { merge: true }) as { services: Record<string, Service> }).services;
const productionDockerfiles = ['docker/app.Dockerfile', 'docker/ssh-host.Dockerfile'];
/** Where the keys step puts the job keys (issue 15), as each reader's environment names them. */
const jobKeyPaths = {
  signingKeyFile: '/etc/simple-cm/signing/signing.pem',
  jobPublicKeys: '/etc/simple-cm/job-public-keys',
  resultKeyFile: '/etc/simple-cm/result/result.key',
} as const;
/**
 * Only the master may sign host jobs: no other service of a compose file names the signing key,
 * mounts its volume, or mounts the operator's job-keys directory (the keys step copies from it).
 */
function expectSigningKeyOnlyInMaster(all: Record<string, Service>, jobKeysSource: string): void {
  for (const [name, service] of Object.entries(all)) {
    const env = Object.keys(service.environment ?? {}).filter((k) => k === 'SIMPLECM_JOB_SIGNING_KEY');
    const volumes = (service.volumes ?? []).filter((v) => v.startsWith('job-signing-key:') || v.startsWith(`${jobKeysSource}:`));
    const expected =
      name === 'master'
        ? { env: ['SIMPLECM_JOB_SIGNING_KEY'], volumes: ['job-signing-key:/etc/simple-cm/signing:ro'] }
        : name === 'keys'
          ? { env: [], volumes: [`${jobKeysSource}:/run/job-keys-source:ro`, 'job-signing-key:/signing'] }
          : { env: [], volumes: [] };
    expect({ name, env, volumes }).toEqual({ name, ...expected });
  }
  expect(all.master!.environment!.SIMPLECM_JOB_SIGNING_KEY).toBe(jobKeyPaths.signingKeyFile);
  for (const name of ['worker', 'results', 'dashboard', 'schema', 'cassandra-auth', 'run']) expect({ name, env: all[name]!.environment?.SIMPLECM_JOB_SIGNING_KEY }).toEqual({ name, env: undefined });
  // The workers verify (public keys) and seal results (result key); the results consumers check the seal.
  expect(all.worker!.volumes).toEqual(expect.arrayContaining(['job-public-keys:/etc/simple-cm/job-public-keys:ro', 'result-key:/etc/simple-cm/result:ro']));
  expect(all.results!.volumes).toEqual(['result-key:/etc/simple-cm/result:ro']);
  // The seal private keys only where workers run (and the keys step that copies them); the seal public key in the master.
  const mounts = (prefix: string) => Object.entries(all).filter(([, service]) => (service.volumes ?? []).some((v) => v.startsWith(prefix))).map(([name]) => name).sort();
  expect(mounts('seal-keys:')).toEqual(['keys', 'worker']);
  expect(mounts('seal-public-key:')).toEqual(['keys', 'master']);
  expect(all.worker!.environment!.SIMPLECM_SEAL_PRIVATE_KEYS).toBe('/etc/simple-cm/seal-keys');
  expect(all.master!.environment!.SIMPLECM_SEAL_PUBLIC_KEY).toBe('/etc/simple-cm/seal-public/seal-public.pem');
  expect(all.dashboard!.volumes).toBeUndefined();
  for (const name of ['worker', 'results', 'master']) expect(all[name]!.depends_on).toMatchObject({ keys: { condition: 'service_completed_successfully' } });
}
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

  it('refuses to start without each of its secrets (dashboard, Redis and Cassandra credentials)', () => {
    for (const name of Object.keys(secrets)) {
      const env = { PATH: process.env.PATH, ...secrets, [name]: undefined };
      const r = spawnSync('docker-compose', ['-f', file, 'config', '-q'], { env, encoding: 'utf8' });
      expect({ name, status: r.status }).toEqual({ name, status: expect.not.stringMatching(/^0$/) });
      expect(r.stderr).toContain(name);
    }
  });

  it('pins every image and base image', () => {
    for (const [name, service] of Object.entries(services)) {
      expect({ name, image: service.image }).toEqual({ name, image: expect.stringMatching(/^[\w./-]+:(?!latest)[\w.-]*\d[\w.-]*$/) });
    }
    // Production Dockerfiles: a pinned public base by default; the build argument that names it
    // is how the containers suite swaps in its local Debian build.
    for (const dockerfile of productionDockerfiles) {
      const lines = fs.readFileSync(path.join(repoRoot, dockerfile), 'utf8').split('\n');
      const args = Object.fromEntries(lines.filter((l) => /^ARG \w+=/.test(l)).map((l) => l.slice(4).split('=') as [string, string]));
      const stages = lines.flatMap((l) => / AS (\w+)$/.exec(l)?.[1] ?? []);
      const froms = lines
        .filter((l) => l.startsWith('FROM ') && !stages.includes(l.split(' ')[1]!))
        .map((l) => l.replace(/\$\{(\w+)\}/g, (_, name: string) => args[name] ?? '?'));
      expect(froms.length).toBeGreaterThan(0);
      for (const from of froms) expect(from).toMatch(/^FROM [\w./-]+:(?!latest)[\w.-]*\d[\w.-]*( AS \w+)?$/);
    }
  });

  it('gives every SimpleCM process an environment its configuration accepts', () => {
    const apps = Object.entries(services).filter(([, s]) => s.image?.startsWith('simplecm/app'));
    expect(apps.map(([n]) => n).sort()).toEqual(['cassandra-auth', 'dashboard', 'keys', 'master', 'results', 'run', 'schema', 'worker']);
    for (const [name, service] of apps) {
      const env = interpolate(service.environment);
      // The image runs bin/app.cjs, whose first argument names the app (the schema job's too);
      // only the two one-shot helpers replace the entry point: the keys copy (root) and the
      // Cassandra roles script of docker/.
      const [first, ...args] = service.command ?? [];
      if (service.entrypoint) {
        expect(['cassandra-auth', 'keys']).toContain(name);
        const script = service.entrypoint.find((part) => part.startsWith('/app/'));
        if (script) expect(fs.existsSync(path.join(repoRoot, script.slice('/app/'.length)))).toBe(true);
        if (name === 'keys') expect(service.user).toBe('root');
        continue;
      }
      expect(Object.keys(entryPoints)).toContain(first);
      const config = connectionConfigFromEnv(env);
      expect(config.cassandra.contactPoints).toHaveLength(3);
      expect(config.cassandra.username).toBe('simplecm');
      // Each process on its role's Redis user (docker/redis-users.acl); the one-shot steps use no Redis.
      // `run` submits to the masters and reads the run's progress and events: the master's user.
      const role = ({ worker: 'worker', results: 'results', dashboard: 'dashboard', master: 'master', run: 'master' } as Record<string, string>)[name];
      expect({ name, url: service.environment?.SIMPLECM_REDIS_URL === undefined ? undefined : config.redis.url }).toEqual({ name, url: role ? `redis://simplecm-${role}:a-${role}-password@redis:6379` : undefined });
      if (name === 'worker') expect(compileWorkerOptions(args, env)).toMatchObject({ concurrency: 50, knownHostsFile: '/etc/simple-cm/known/known_hosts', jobPublicKeys: jobKeyPaths.jobPublicKeys, resultKeyFile: jobKeyPaths.resultKeyFile });
      if (name === 'results') expect(compileResultsOptions(args, env)).toMatchObject({ resultKeyFile: jobKeyPaths.resultKeyFile });
      if (name === 'dashboard') expect(compileDashboardOptions(args, env)).toBeDefined();
      if (name === 'master') expect(compileMasterOptions(args, env)).toMatchObject({ signingKeyFile: jobKeyPaths.signingKeyFile });
      // The one-shot run needs no key: the masters plan and sign.
      if (name === 'run') expect(compileEnqueueOptions(args, env)).toMatchObject({ wait: true, local: false, signingKeyFile: undefined });
    }
  });

  it('scales workers, orders start-up with health checks, and gives workers the key through the keys init step', () => {
    expect(services.worker!.deploy?.replicas).toBeGreaterThanOrEqual(2);
    for (const name of ['cassandra1', 'cassandra2', 'cassandra3', 'redis', 'host1']) expect(services[name]!.healthcheck).toBeDefined();
    expect(services.worker!.depends_on).toMatchObject({ redis: { condition: 'service_healthy' }, 'known-hosts': { condition: 'service_completed_successfully' }, keys: { condition: 'service_completed_successfully' } });
    for (const name of ['results', 'dashboard', 'worker', 'master']) expect(services[name]!.depends_on).toMatchObject({ schema: { condition: 'service_completed_successfully' }, 'cassandra-auth': { condition: 'service_completed_successfully' } });
    expect(services.worker!.volumes).toContain('worker-keys:/etc/simple-cm/keys:ro');
    expect(services.keys!.volumes).toEqual([
      './secrets/keys:/run/keys-source:ro',
      './secrets/job-keys:/run/job-keys-source:ro',
      'worker-keys:/keys',
      'job-signing-key:/signing',
      'result-key:/result',
      'job-public-keys:/job-public-keys',
      'seal-public-key:/seal-public',
      'seal-keys:/seal-keys',
    ]);
    // Only the keys step sees the operator's key directories; the master mounts the signing key and the seal public key alone.
    for (const [name, service] of Object.entries(services)) if (name !== 'keys') expect((service.volumes ?? []).filter((v) => /^\.\/secrets\/(keys|job-keys):/.test(v))).toEqual([]);
    expect(services.master!.volumes).toEqual(['job-signing-key:/etc/simple-cm/signing:ro', 'seal-public-key:/etc/simple-cm/seal-public:ro']);
    expect(services.keys!.entrypoint!.join(' ')).toContain('install -o 10001 -g 10001 -m 0400 /run/job-keys-source/seal-private/*.pem /seal-keys/');
  });

  it('runs two resident masters in both layouts; the one-shot run waits for them and mounts nothing', () => {
    expect(services.master!.command).toEqual(['master']);
    expect(services.master!.deploy?.replicas).toBe(2);
    expect(services.master!.profiles).toBeUndefined();
    expect(localServices.master!.scale).toBe(2);
    expect(localServices.master!.entrypoint!.join(' ')).toMatch(/app\.cjs master --name "master-/);
    for (const all of [services, localServices]) {
      expect(all.run!.profiles).toEqual(['run']);
      expect(all.run!.command).toEqual(['enqueue', '--wait']);
      expect(all.run!.volumes).toBeUndefined();
      expect(all.run!.depends_on).toMatchObject({ master: { condition: 'service_healthy' } });
    }
  });

  it('gives the job signing key to the master alone: no worker, results consumer or dashboard gets it (both layouts)', () => {
    expectSigningKeyOnlyInMaster(services, './secrets/job-keys');
    expectSigningKeyOnlyInMaster(localServices, '${SIMPLECM_SECRETS_DIR:?set SIMPLECM_SECRETS_DIR}/job-keys');
    for (const all of [services, localServices]) {
      const script = all.keys!.entrypoint!.join(' ');
      expect(script).toContain('install -o 10001 -g 10001 -m 0400 /run/job-keys-source/signing.pem /signing/signing.pem');
      expect(script).toContain('install -o 10001 -g 10001 -m 0400 /run/job-keys-source/result.key /result/result.key');
    }
  });

  it('starts Redis with the role users of docker/redis-users.acl, made from redisAclRules, every password filled in (both layouts)', () => {
    const acl = fs.readFileSync(path.join(repoRoot, 'docker', 'redis-users.acl'), 'utf8');
    expect(acl).toBe(redisUsersAclTemplate());
    const placeholders = [...new Set(acl.split('\n').filter((l) => !l.startsWith('#')).join('\n').match(/@\w+@/g))].sort();
    expect(placeholders).toEqual(['@SIMPLECM_REDIS_PASSWORD@', ...redisRoles.map((r) => `@${redisRolePasswordVariable(r)}@`)].sort());
    for (const [layout, all] of [['docker-compose.yml', services], ['compose.local.yml', localServices]] as const) {
      const redis = all.redis!;
      const command = redis.command!.join(' ');
      expect({ layout, aclfile: command.includes('--aclfile /tmp/users.acl'), noUserFlags: !command.includes('--user ') }).toEqual({ layout, aclfile: true, noUserFlags: true });
      for (const p of placeholders) expect({ layout, fills: command.includes(`s/${p}/$$${p.slice(1, -1)}/`), env: Object.keys(redis.environment ?? {}) }).toEqual({ layout, fills: true, env: expect.arrayContaining([p.slice(1, -1)]) });
      expect(redis.volumes).toEqual(expect.arrayContaining([expect.stringMatching(/redis-users\.acl:\/etc\/simplecm\/redis-users\.acl:ro$/)]));
    }
  });

  it('keeps the managed hosts on a network of their own: they cannot reach Redis or Cassandra', () => {
    for (const name of ['redis', 'cassandra1', 'cassandra2', 'cassandra3', 'results', 'dashboard', 'master', 'run']) expect({ name, networks: services[name]!.networks }).toEqual({ name, networks: ['backend'] });
    for (const n of [1, 2, 3, 4, 5]) expect(services[`host${n}`]!.networks).toEqual(['managed']);
    expect(services.worker!.networks).toEqual(['backend', 'managed']);
    expect(services.redis!.command!.join(' ')).toMatch(/--aclfile /);
    expect(fs.readFileSync(path.join(repoRoot, 'docker', 'redis-users.acl'), 'utf8')).toMatch(/^user default off$/m);
    expect(services.cassandra1!.entrypoint!.join(' ')).toMatch(/PasswordAuthenticator/);
  });

  it('runs the local layout on host networking, each service on its own 127.30.x.y address, clear of the stack', () => {
    const r = spawnSync('docker-compose', ['-f', localFile, 'config', '-q'], { env: { ...process.env, ...secrets, SIMPLECM_SECRETS_DIR: '/nonexistent' }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // (comments name the stack's addresses it keeps clear of)
    const localText = fs.readFileSync(localFile, 'utf8').replace(/^\s*#.*$/gm, '');
    for (const [name, service] of Object.entries(localServices)) {
      expect({ name, mode: service.network_mode, networks: service.networks, ports: service.ports }).toEqual({ name, mode: 'host', networks: undefined, ports: undefined });
    }
    // Every address it binds or dials is a 127.30.x.y one; never a private range.
    const bound = [...localText.matchAll(/\b(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\b/g)].map((m) => m[1]!);
    expect(bound.length).toBeGreaterThan(5);
    for (const address of bound) expect(address).toMatch(/^127\.30\./);
  });

  it('keeps node_modules, caches, the stack state, secrets, build output and git out of the build context', () => {
    const ignored = fs.readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['**/node_modules', '.cache', '.stack', 'secrets', '**/dist', 'artifacts', '.git']) expect(ignored).toContain(entry);
  });

  it('refers only to files that exist, or to ./secrets, which the header says how to make', () => {
    expect(text).toMatch(/ssh-keygen -t ed25519 -N '' -f secrets\/keys\/stack/);
    expect(text).toMatch(/openssl genpkey -algorithm ed25519 -out secrets\/job-keys\/signing\.pem/);
    expect(text).toMatch(/openssl pkey -in secrets\/job-keys\/signing\.pem -pubout -out secrets\/job-keys\/public\//);
    expect(text).toMatch(/openssl rand -base64 -out secrets\/job-keys\/result\.key 32/);
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

// Kubernetes manifests (deploy/k8s): no cluster here, so they are parsed and checked offline —
// every resource the kustomization lists, non-root pods, each SimpleCM container's command and
// environment against its own configuration schema, and the autoscaler on the hosts queue's wait list.
describe('deploy/k8s', () => {
  interface Container { name: string; image: string; args?: string[]; command?: string[]; envFrom?: Array<{ configMapRef?: { name: string } }>; env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>; volumeMounts?: Array<{ name: string; mountPath: string }> }
  interface PodSpec { securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; fsGroup?: number }; containers: Container[]; initContainers?: Container[]; volumes?: Array<{ name: string; secret?: { secretName: string } }> }
  interface Resource { apiVersion: string; kind: string; metadata: { name: string }; spec?: { template?: { spec: PodSpec }; scaleTargetRef?: { name: string }; triggers?: Array<{ type: string; metadata: Record<string, string> }> }; data?: Record<string, string>; resources?: string[] }
  const dir = path.join(repoRoot, 'deploy', 'k8s');
  const kustomization = parse(fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as Resource;
  const resources = kustomization.resources!.flatMap((file) => parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8')).map((d) => d.toJS() as Resource));
  const byKind = (kind: string) => resources.filter((r) => r.kind === kind);
  const config = byKind('ConfigMap').find((c) => c.metadata.name === 'simplecm-env')!.data!;
  const stand = { SIMPLECM_REDIS_URL: 'redis://simplecm:pw@redis:6379', SIMPLECM_CASSANDRA_PASSWORD: 'a-cassandra-password', SIMPLECM_DASHBOARD_PASSWORD: 'a-long-enough-password', SIMPLECM_DASHBOARD_SESSION_SECRET: 's'.repeat(40) };

  it('lists only files that exist and parse, with the workloads SimpleCM needs', () => {
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort()).toEqual([...kustomization.resources!].sort());
    expect(byKind('Deployment').map((d) => d.metadata.name).sort()).toEqual(['simplecm-dashboard', 'simplecm-master', 'simplecm-results', 'simplecm-worker']);
    expect(byKind('Job').map((d) => d.metadata.name)).toEqual(['simplecm-run']);
    // Two resident masters; the one-shot run submits to them.
    expect((byKind('Deployment').find((d) => d.metadata.name === 'simplecm-master')!.spec as { replicas?: number }).replicas).toBe(2);
    expect(byKind('ScaledObject')).toHaveLength(1);
  });

  it('runs every container of the app image as the non-root user, with an environment its configuration accepts', () => {
    for (const workload of [...byKind('Deployment'), ...byKind('Job')]) {
      const pod = workload.spec!.template!.spec;
      expect({ name: workload.metadata.name, ...pod.securityContext }).toMatchObject({ name: workload.metadata.name, runAsNonRoot: true, runAsUser: 10001 });
      for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
        expect(container.image).toBe(services.worker!.image);
        expect(container.envFrom).toEqual([{ configMapRef: { name: 'simplecm-env' } }]);
        const env: Record<string, string> = { ...config, ...stand };
        for (const e of container.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
        // Redis as the workload's role (the Secret holds one URL per role).
        const redisUrlKey = (container.env ?? []).find((e) => e.name === 'SIMPLECM_REDIS_URL')?.valueFrom?.secretKeyRef?.key;
        const roleOf: Record<string, string> = { worker: 'worker', 'results-consumer': 'results', dashboard: 'dashboard', enqueue: 'master', master: 'master' };
        if (container.args && roleOf[container.args[0]!]) expect({ app: container.args[0], redisUrlKey }).toEqual({ app: container.args[0], redisUrlKey: `redis-url-${roleOf[container.args[0]!]}` });
        expect(connectionConfigFromEnv(env).cassandra.contactPoints).toHaveLength(3);
        // Like compose: the image's entry point is never replaced, the args name the app.
        expect(container.command).toBeUndefined();
        const [app, ...args] = container.args!;
        expect(Object.keys(entryPoints)).toContain(app);
        if (app === 'worker') expect(compileWorkerOptions(args, env)).toMatchObject({ concurrency: 50, keysDir: '/etc/simple-cm/keys', knownHostsFile: '/etc/simple-cm/known/known_hosts', jobPublicKeys: jobKeyPaths.jobPublicKeys, resultKeyFile: jobKeyPaths.resultKeyFile });
        if (app === 'results-consumer') expect(compileResultsOptions(args, env)).toMatchObject({ resultKeyFile: jobKeyPaths.resultKeyFile });
        if (app === 'dashboard') expect(compileDashboardOptions(args, env)).toBeDefined();
        if (app === 'enqueue') expect(compileEnqueueOptions(args, env)).toMatchObject({ wait: true, local: false, signingKeyFile: undefined });
        if (app === 'master') expect(compileMasterOptions(args, env)).toMatchObject({ signingKeyFile: jobKeyPaths.signingKeyFile });
      }
    }
    // Only the workers mount the private key (readable through the pod's fsGroup).
    const withKeys = [...byKind('Deployment'), ...byKind('Job')].filter((w) => (w.spec!.template!.spec.volumes ?? []).some((v) => v.secret?.secretName === 'simplecm-ssh-keys'));
    expect(withKeys.map((w) => w.metadata.name)).toEqual(['simplecm-worker']);
    expect(withKeys[0]!.spec!.template!.spec.securityContext!.fsGroup).toBe(10001);
  });

  it('gives the job signing key Secret to the masters alone, the public keys to the workers, the result key to workers and results', () => {
    const workloads = [...byKind('Deployment'), ...byKind('Job')];
    const mounting = (secretName: string) =>
      workloads
        .filter((w) => (w.spec!.template!.spec.volumes ?? []).some((v) => v.secret?.secretName === secretName))
        .map((w) => w.metadata.name)
        .sort();
    expect(mounting('simplecm-job-signing-key')).toEqual(['simplecm-master']);
    expect(mounting('simplecm-job-public-keys')).toEqual(['simplecm-worker']);
    expect(mounting('simplecm-result-key')).toEqual(['simplecm-results', 'simplecm-worker']);
    expect(mounting('simplecm-seal-keys')).toEqual(['simplecm-worker']);
    expect(mounting('simplecm-seal-public-key')).toEqual(['simplecm-master']);
    for (const workload of workloads) {
      const pod = workload.spec!.template!.spec;
      // A 0440 Secret is readable by the non-root user through the pod's fsGroup.
      if ((pod.volumes ?? []).some((v) => v.secret)) expect({ name: workload.metadata.name, fsGroup: pod.securityContext!.fsGroup }).toEqual({ name: workload.metadata.name, fsGroup: 10001 });
      for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
        const names = (container.env ?? []).map((e) => e.name).filter((n) => n === 'SIMPLECM_JOB_SIGNING_KEY');
        const master = workload.metadata.name === 'simplecm-master' && container.name === 'master';
        expect({ workload: workload.metadata.name, container: container.name, names }).toEqual({ workload: workload.metadata.name, container: container.name, names: master ? ['SIMPLECM_JOB_SIGNING_KEY'] : [] });
      }
    }
    expect(Object.keys(config)).not.toContain('SIMPLECM_JOB_SIGNING_KEY');
  });

  it('scales the workers on the hosts queue wait list (KEDA Redis list scaler)', () => {
    const [scaler] = byKind('ScaledObject');
    expect(scaler!.spec!.scaleTargetRef!.name).toBe('simplecm-worker');
    const [trigger] = scaler!.spec!.triggers!;
    expect(trigger!.type).toBe('redis');
    expect(trigger!.metadata.listName).toBe(`${config.SIMPLECM_QUEUE_PREFIX}:hosts:wait`);
    expect(Number(trigger!.metadata.listLength)).toBeGreaterThan(0);
  });
});
