/**
 * The hot paths, one at a time (sequential, so the figures are costs rather than contention):
 * - starting `enqueue` from TypeScript with tsx and as `npm run enqueue` does (its esbuild bundle);
 * and on the first bench host, over one connection:
 * - the driver script (what workers send) against the raw bound's script, warm and cold:
 *   wall time per host and the host's CPU (sshd session, shells, scripts);
 * - opening a verified SSH connection: wall, client CPU, host CPU;
 * - rendering a host's ten operations, and parsing its ten frames, in the worker.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from 'ssh2';
import { loadModules, resolveModulesDir } from '@simplecm/modules';
import { buildDriverScript, connectHost, createFrameParser, forgetJournal, journalKey, hostKeyPolicy, newFrameMarker, loadKnownHosts, parseKnownHosts, runDriver } from '@simplecm/ssh';
import { stackPaths } from '@simplecm/stack';
import { createBenchSystem } from '../bench-system';
import { processTree } from '../proc-stats';
import { rawCommand } from '../raw-script';
import { benchHostNumbers, stackHost, stackKeyFile } from '../bench-host-pool';
import { spread } from '../stats';
import { benchOperations, renderScripts } from '../workload';
import { clockTicks } from '../proc-stats';

export interface HotPathsResult {
  readonly table: string;
  readonly figures: Record<string, number>;
}

/** CPU seconds of host n so far: its sshd and everything under it, reaped processes included. */
function hostCpuMs(n: number): number {
  const pid = Number(fs.readFileSync(path.join(stackPaths.hostsDir, `host${n}`, 'sshd.pid'), 'utf8').trim());
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      /* exited meanwhile */
    }
  }
  return (ticks / clockTicks()) * 1000;
}

function exec(client: Client, command: string): Promise<void> {
  return new Promise((resolve, reject) =>
    client.exec(command, (error, channel) => {
      if (error) return reject(error);
      channel.on('data', () => undefined);
      channel.stderr.on('data', () => undefined);
      channel.on('close', () => resolve());
    }),
  );
}

/** `enqueue` of a one-host inventory, spawn to exit (no worker takes the job): tsx against the bundle `npm run enqueue` runs. */
async function startupCosts(reps: number): Promise<Record<'tsx' | 'bundle', { wall: number[]; cpu: number[] }>> {
  const tsx = await createBenchSystem('startup', { runner: 'tsx' });
  const bundle = await createBenchSystem('startupb', { keyspace: tsx.keyspace });
  await tsx.putDesiredState([{ host: stackHost(benchHostNumbers(1)[0]!), operations: benchOperations('startup') }]);
  const m = { tsx: { wall: [] as number[], cpu: [] as number[] }, bundle: { wall: [] as number[], cpu: [] as number[] } };
  try {
    for (let i = 0; i < reps; i++) {
      for (const [kind, system] of i % 2 === 0 ? ([['tsx', tsx], ['bundle', bundle]] as const) : ([['bundle', bundle], ['tsx', tsx]] as const)) {
        const e = await system.enqueue([]);
        if (e.code !== 0) throw new Error(`enqueue (${kind}) exited ${e.code}: ${e.output.slice(-500)}`);
        m[kind].wall.push(e.exitedAt - e.spawnedAt);
        m[kind].cpu.push(e.allCpuSeconds * 1000);
      }
    }
  } finally {
    await bundle.close();
    await tsx.close();
  }
  return m;
}

export async function runHotPaths(io: { log: (line: string) => void; ensureHosts: (n: number) => Promise<void> }, reps = 15): Promise<HotPathsResult> {
  await io.ensureHosts(1);
  const modules = loadModules(resolveModulesDir(undefined));
  const hostNumber = benchHostNumbers(1)[0]!;
  const target = stackHost(hostNumber);
  const hostKeys = hostKeyPolicy(loadKnownHosts(stackPaths.knownHosts));
  const privateKey = fs.readFileSync(stackKeyFile);
  const connect = () => connectHost(target, { privateKey, hostKeys, connectTimeoutMs: 10_000 });
  const driverMarker = newFrameMarker();
  // A journal of its own per driver run (as each host job has), so no run attaches to another's.
  const driverFor = (scripts: string[]) => {
    const key = journalKey(randomUUID(), target.hostname);
    return { key, script: buildDriverScript(scripts.map((script, seq) => ({ seq, script, timeoutSeconds: 300 })), { mode: 'apply', keepGoing: false, marker: driverMarker, journalKey: key }) };
  };
  const settle = () => new Promise((r) => setTimeout(r, 20));
  const rows: string[] = ['| what | wall ms, median (min–max) | host CPU ms | client CPU ms |', '|---|---:|---:|---:|'];
  const figures: Record<string, number> = {};
  const add = (name: string, wall: number[], hostCpu: number[] | undefined, clientCpu: number[] | undefined) => {
    const w = spread(wall);
    figures[`${name} wall`] = w.median;
    if (hostCpu) figures[`${name} host cpu`] = spread(hostCpu).median;
    rows.push(`| ${name} | ${w.median.toFixed(1)} (${w.min.toFixed(1)}–${w.max.toFixed(1)}) | ${hostCpu ? spread(hostCpu).median.toFixed(0) : '–'} | ${clientCpu ? spread(clientCpu).median.toFixed(2) : '–'} |`);
  };

  const startup = await startupCosts(5);
  for (const kind of ['tsx', 'bundle'] as const) {
    const label = kind === 'tsx' ? '`enqueue` of 1 host, spawn to exit, run from TypeScript by tsx' : '`enqueue` of 1 host, spawn to exit, as `npm run enqueue` runs it (node on its esbuild bundle)';
    rows.push(`| ${label} | ${spread(startup[kind].wall).median.toFixed(0)} (${spread(startup[kind].wall).min.toFixed(0)}–${spread(startup[kind].wall).max.toFixed(0)}) | – | ${spread(startup[kind].cpu).median.toFixed(0)} (all its node processes) |`);
    figures[`startup ${kind} wall`] = spread(startup[kind].wall).median;
    figures[`startup ${kind} cpu`] = spread(startup[kind].cpu).median;
  }
  io.log(`hot paths: enqueue start-up ${figures['startup tsx wall']!.toFixed(0)} ms with tsx, ${figures['startup bundle wall']!.toFixed(0)} ms bundled`);

  const client = await connect();
  try {
    const suffix = Date.now().toString(36);
    const warmScripts = renderScripts(modules, benchOperations(`driver-${suffix}`));
    await exec(client, rawCommand(warmScripts)); // the warm state exists from here on
    for (const state of ['warm', 'cold'] as const) {
      const m: Record<'driver' | 'raw', { wall: number[]; cpu: number[] }> = { driver: { wall: [], cpu: [] }, raw: { wall: [], cpu: [] } };
      for (let i = 0; i < reps; i++) {
        for (const kind of i % 2 === 0 ? (['driver', 'raw'] as const) : (['raw', 'driver'] as const)) {
          const scripts = state === 'warm' ? warmScripts : renderScripts(modules, benchOperations(`driver-${suffix}-${kind}-${i}`));
          const c0 = hostCpuMs(hostNumber);
          const t0 = performance.now();
          if (kind === 'driver') {
            const driver = driverFor(scripts);
            await runDriver(client, target.hostname, driver.script, { limit: 65536, marker: driverMarker, journalKey: driver.key, deadlineMs: 60_000, onFrame: () => undefined });
            await forgetJournal(client, target.hostname, driver.key, { timeoutMs: 10_000 });
          }
          else await exec(client, rawCommand(scripts));
          const t1 = performance.now();
          await settle();
          m[kind].wall.push(t1 - t0);
          m[kind].cpu.push(hostCpuMs(hostNumber) - c0);
        }
      }
      add(`driver script, 10 operations, ${state}`, m.driver.wall, m.driver.cpu, undefined);
      add(`raw bound script, 10 operations, ${state}`, m.raw.wall, m.raw.cpu, undefined);
      io.log(`hot paths: ${state}: driver ${spread(m.driver.wall).median.toFixed(0)} ms / host CPU ${spread(m.driver.cpu).median.toFixed(0)} ms, raw ${spread(m.raw.wall).median.toFixed(0)} ms / ${spread(m.raw.cpu).median.toFixed(0)} ms per host`);
    }
  } finally {
    client.end();
  }

  const connWall: number[] = [];
  const connHost: number[] = [];
  const connClient: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c0 = hostCpuMs(hostNumber);
    const u0 = process.cpuUsage();
    const t0 = performance.now();
    const c = await connect();
    await exec(c, 'true');
    const t1 = performance.now();
    const u = process.cpuUsage(u0);
    c.end();
    await new Promise((r) => setTimeout(r, 50));
    connWall.push(t1 - t0);
    connClient.push((u.user + u.system) / 1000);
    connHost.push(hostCpuMs(hostNumber) - c0);
  }
  add('SSH connection (TCP, handshake, auth) + one exec of `true`', connWall, connHost, connClient);

  const ops = benchOperations('render');
  const renderMs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < 200; i++) renderScripts(modules, ops, `host${i}`);
    renderMs.push((performance.now() - t0) / 200);
  }
  add('render + validate 10 operations (worker CPU)', renderMs, undefined, renderMs);

  const marker = newFrameMarker();
  const frame = (seq: number) => Buffer.from(`\n${marker} ${seq} 0 1700000000000 5 0 0 40\ncreate directory /var/tmp/simplecm-bench/x\n`);
  const stream = Buffer.concat(Array.from({ length: 10 }, (_, i) => frame(i)));
  const parseMs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < 2000; i++) {
      const parser = createFrameParser(65536, marker, () => undefined);
      for (let k = 0; k < stream.length; k += 256) parser.push(stream.subarray(k, k + 256));
    }
    parseMs.push((performance.now() - t0) / 2000);
  }
  add('parse 10 frames (worker CPU)', parseMs, undefined, parseMs);

  // Host key lookup: every connection matches its names against every known_hosts line.
  const key = fs.readFileSync(stackPaths.knownHosts, 'utf8').split('\n')[0]!.split(' ').slice(1).join(' ');
  for (const entries of [200, 10_000]) {
    const known = parseKnownHosts(Array.from({ length: entries }, (_, i) => `fleet${i},10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255} ${key}`).join('\n'));
    const lookupMs: number[] = [];
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      for (let i = 0; i < 20; i++) known.keysFor([`fleet${i * 7}`, `10.0.0.${i}`], 22);
      lookupMs.push((performance.now() - t0) / 20);
    }
    add(`known_hosts lookup, ${entries.toLocaleString('en')} entries (worker CPU, per connection)`, lookupMs, undefined, lookupMs);
  }
  return { table: rows.join('\n'), figures };
}
