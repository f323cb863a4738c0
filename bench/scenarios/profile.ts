/**
 * CPU profiles of the SimpleCM processes on the bench's workloads (opt-in: `--only profile`;
 * profiling slows what it measures, so its timings are not reported): one worker and the
 * results consumer through a cold and a warm run of the largest host count, the consumer
 * again draining a pre-filled results queue, and `enqueue` on the 100,000-host inventory when
 * the enqueue scenario has loaded it. Also counts Redis commands per host job (approximate:
 * the stack's Redis is shared).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { redisUrl } from '@simplecm/stack';
import type { BenchOptions } from '../bench-options';
import { benchDir, createBenchSystem, type BenchSystem } from '../bench-system';
import { profileMarkdown, summarizeProfile } from '../cpu-profile-summary';
import { sampleProcess } from '../proc-stats';
import { stackHosts } from '../bench-host-pool';
import { benchOperations } from '../workload';
import { fillResultsQueue } from './results-throughput';
import { SCALE_KEYSPACE } from './enqueue-scale';

export interface ProfileResult {
  readonly markdown: string;
  readonly directory: string;
}

const hook = path.join(__dirname, '..', 'cpu-profile-hook.cjs');

function profiled(dir: string): Record<string, string> {
  return { NODE_OPTIONS: `--require ${hook}`, BENCH_CPU_PROFILE_DIR: dir };
}

async function commandStats(redis: Redis): Promise<Map<string, number>> {
  const stats = new Map<string, number>();
  for (const line of (await redis.info('commandstats')).split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (m) stats.set(m[1]!, Number(m[2]));
  }
  return stats;
}

/** The largest profile in a directory: the process that did the work (not tsx's wrapper). */
function mainProfile(dir: string): string | undefined {
  if (!fs.existsSync(dir)) return undefined;
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f))
    .sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
}

async function runAndWait(system: BenchSystem, env: Record<string, string>): Promise<{ runId: string; cpu: number | undefined }> {
  const e = await system.enqueue([], env);
  if (e.code !== 0 || !e.runId) throw new Error(`enqueue exited ${e.code}: ${e.output.slice(-1500)}`);
  await system.waitRunFinished(e.runId, 10 * 60_000);
  return { runId: e.runId, cpu: e.cost?.cpuSeconds };
}

export async function runProfile(options: BenchOptions, io: { log: (line: string) => void; ensureHosts: (n: number) => Promise<void> }): Promise<ProfileResult> {
  const n = Math.max(...options.hostCounts);
  const dir = path.join(benchDir, 'profiles', new Date().toISOString().replace(/[:.]/g, '-'));
  const sections: string[] = [];
  await io.ensureHosts(n);
  const system = await createBenchSystem('profile');
  const redis = new Redis(redisUrl);
  try {
    await system.putDesiredState(stackHosts(n).map((host) => ({ host, operations: benchOperations(`profile-${Date.now().toString(36)}`) })));
    const [worker] = await system.startWorkers(1, ['--concurrency', String(n)], profiled(path.join(dir, 'worker')));
    const resultsE2e = await system.startResults(profiled(path.join(dir, 'results-e2e')));
    const cpu: Record<string, number | undefined> = {};
    io.log(`profile: ${n} hosts, cold then warm, worker + results consumer + enqueue profiled`);
    const before = await commandStats(redis);
    cpu['enqueue-e2e'] = (await runAndWait(system, profiled(path.join(dir, 'enqueue-e2e')))).cpu;
    const after = await commandStats(redis);
    await runAndWait(system, profiled(path.join(dir, 'enqueue-e2e')));
    cpu.worker = sampleProcess(worker!.appPid)?.cpuSeconds;
    cpu['results-e2e'] = sampleProcess(resultsE2e.appPid)?.cpuSeconds;
    await system.stopProcesses();
    const perHost = [...after.entries()]
      .map(([cmd, calls]) => ({ cmd, calls: (calls - (before.get(cmd) ?? 0)) / n }))
      .filter((c) => c.calls >= 0.5)
      .sort((a, b) => b.calls - a.calls);
    sections.push(
      `Redis commands per host in a ${n}-host cold run (all clients of the shared Redis, so approximate): ${perHost.map((c) => `${c.cmd} ${c.calls.toFixed(1)}`).join(', ')}; total ${perHost.reduce((s, c) => s + c.calls, 0).toFixed(0)}.`,
      '',
    );

    const drained = Math.min(options.resultsHosts, 5_000);
    const runId = await fillResultsQueue(system, drained);
    const drain = await system.startResults(profiled(path.join(dir, 'results-drain')));
    io.log(`profile: results consumer draining ${drained} pre-filled host results`);
    await system.waitRunFinished(runId, 10 * 60_000);
    cpu['results-drain'] = sampleProcess(drain.appPid)?.cpuSeconds;
    await system.stopProcesses();

    const scaleLoaded = await system.cassandra
      .execute(`SELECT hosts FROM ${SCALE_KEYSPACE}.bench_load WHERE name = 'inventory'`)
      .then((rs) => rs.first()?.get('hosts') as number | undefined)
      .catch(() => undefined);
    if (scaleLoaded) {
      const scale = await createBenchSystem('profscale', { keyspace: SCALE_KEYSPACE });
      try {
        io.log(`profile: enqueue of the ${scaleLoaded.toLocaleString('en')}-host inventory`);
        const e = await scale.enqueue([], profiled(path.join(dir, 'enqueue-scale')));
        if (e.code !== 0) throw new Error(`enqueue exited ${e.code}: ${e.output.slice(-1500)}`);
        cpu['enqueue-scale'] = e.cost?.cpuSeconds;
      } finally {
        await scale.close();
      }
    }

    for (const [role, title] of [
      ['worker', `worker, ${n}-host cold + warm runs`],
      ['results-e2e', `results consumer, ${n}-host cold + warm runs`],
      ['results-drain', `results consumer, draining ${drained} host results`],
      ['enqueue-e2e', `enqueue, ${n} hosts`],
      ['enqueue-scale', `enqueue, ${scaleLoaded?.toLocaleString('en') ?? '?'} hosts`],
    ] as const) {
      const file = mainProfile(path.join(dir, role));
      if (file) sections.push(profileMarkdown(title, summarizeProfile(file), cpu[role]));
    }
    sections.push(`Profiles: \`${path.relative(process.cwd(), dir)}\` (open in Chrome DevTools → Performance, or VS Code).`);
    return { markdown: sections.join('\n'), directory: dir };
  } finally {
    redis.disconnect();
    await system.close();
  }
}
