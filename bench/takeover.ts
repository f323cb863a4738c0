/**
 * `npm run bench:takeover -- [lock-duration-ms stalled-interval-ms]`: how long a SIGKILLed
 * worker's hosts wait before another worker takes them, and what the lock settings cost in
 * Redis commands. On the shared stack, with its own keyspace and queue prefix; kills only the
 * worker it started.
 *
 * Three hosts each run: a marker line, a 12 s sleep, a second marker line. Worker A takes all
 * three; while they sleep, every command on Redis under this prefix is counted for 8 s (MONITOR);
 * then A is SIGKILLed and worker B (already idle) takes the hosts over, attaching to their
 * journals. Printed: per host, seconds from the kill to its result being handed off (an upper
 * bound of the takeover: it includes what was left of the sleep, about 3 s), the Redis commands
 * per second with three hosts held, and how often each marker ran on the hosts.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Client } from 'ssh2';
import fs from 'node:fs';
import type { Operation } from '@simplecm/domain';
import { HOSTS_QUEUE, hostJobId, isResultHandedOff } from '@simplecm/queue';
import { connectHost, hostKeyPolicy, loadKnownHosts } from '@simplecm/ssh';
import { stackPaths } from '@simplecm/stack';
import { createBenchSystem } from './bench-system';
import { stackHost, stackKeyFile } from './bench-host-pool';
import { runMain } from './run-main';

const [lockMs = '10000', stalledMs = '5000'] = process.argv.slice(2);
const HOSTS = [1, 2, 3];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exec(client: Client, command: string): Promise<string> {
  return new Promise((resolve, reject) =>
    client.exec(command, (error, channel) => {
      if (error) return reject(error);
      let out = '';
      channel.on('data', (d: Buffer) => (out += d.toString()));
      channel.stderr.resume();
      channel.on('close', () => resolve(out));
    }),
  );
}

async function onHost(n: number, command: string): Promise<string> {
  const client = await connectHost(stackHost(n), { privateKey: fs.readFileSync(stackKeyFile), hostKeys: hostKeyPolicy(loadKnownHosts(stackPaths.knownHosts)), connectTimeoutMs: 10_000 });
  try {
    return await exec(client, command);
  } finally {
    client.end();
  }
}

async function main(): Promise<void> {
  const system = await createBenchSystem('takeover', { runner: 'tsx' });
  const tag = system.prefix;
  const file = `/var/tmp/simplecm-takeover/${tag}`;
  const redisUrl = system.env.SIMPLECM_REDIS_URL!;
  try {
    const operations: Operation[] = [
      { seq: 0, name: 'first marker', module: 'command', attributes: { command: `mkdir -p /var/tmp/simplecm-takeover && echo first >> ${file}` }, become: null },
      { seq: 1, name: 'sleep 30 s', module: 'sleep', attributes: { seconds: 30 }, become: null },
      { seq: 2, name: 'second marker', module: 'command', attributes: { command: `echo second >> ${file}` }, become: null },
    ];
    await system.putDesiredState(HOSTS.map((n) => ({ host: stackHost(n), operations })));
    const locks = ['--lock-duration', lockMs, '--stalled-interval', stalledMs, '--concurrency', '5'];
    await system.startResults();
    const [a] = await system.startWorkers(1, [...locks, '--name', 'A']);
    const enqueue = system.enqueue(['--hosts', HOSTS.map((n) => `host${n}`).join(',')]);
    for (;;) {
      const seen = await Promise.all(HOSTS.map((n) => onHost(n, `cat ${file} 2>/dev/null || true`)));
      if (seen.every((s) => s.includes('first'))) break;
      await sleep(100);
    }
    const runId = (await enqueue).runId!;
    const [b] = await system.startWorkers(1, [...locks, '--name', 'B']);
    await sleep(1_000);

    const monitor = new Redis(redisUrl);
    let commands = 0;
    const watching = await monitor.monitor();
    watching.on('monitor', (_time: string, args: string[]) => {
      if (args.some((arg) => String(arg).includes(system.prefix))) commands++;
    });
    await sleep(8_000);
    watching.disconnect();
    monitor.disconnect();

    const killedAt = Date.now();
    process.kill(a!.appPid, 'SIGKILL');
    a!.started.child.kill('SIGKILL');
    const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const hosts = new Queue(HOSTS_QUEUE, { connection, prefix: system.prefix });
    const handedOff = new Map<number, number>();
    // When worker B took each host job (its processedOn moves past the kill).
    const taken = new Map<number, number>();
    while (handedOff.size < HOSTS.length) {
      for (const n of HOSTS) {
        // Handed off: in the run's handed set (result-stream.ts); the time is when this poll saw it (within ~200 ms).
        if (!handedOff.has(n) && (await isResultHandedOff(connection, system.prefix, runId, `host${n}`))) handedOff.set(n, Date.now());
        const hostJob = taken.has(n) ? undefined : await hosts.getJob(hostJobId(runId, `host${n}`));
        if (hostJob?.processedOn !== undefined && hostJob.processedOn > killedAt) taken.set(n, hostJob.processedOn);
      }
      await sleep(200);
    }
    await hosts.close();
    connection.disconnect();
    const markers = await Promise.all(HOSTS.map((n) => onHost(n, `cat ${file}; rm -f ${file}`)));
    console.log(`lock-duration ${lockMs} ms, stalled-interval ${stalledMs} ms`);
    console.log(`Redis commands under the prefix, 2 workers + consumer, 3 hosts held: ${(commands / 8).toFixed(1)}/s`);
    for (const n of HOSTS) {
      const lines = markers[HOSTS.indexOf(n)]!.split('\n').filter(Boolean);
      const takenAt = taken.get(n);
      console.log(`host${n}: taken over ${takenAt === undefined ? '?' : ((takenAt - killedAt) / 1000).toFixed(1)} s and result handed off ${((handedOff.get(n)! - killedAt) / 1000).toFixed(1)} s after the kill; first marker ran ${lines.filter((l) => l === 'first').length}×, second ${lines.filter((l) => l === 'second').length}×`);
    }
    void b;
  } finally {
    await system.stopProcesses();
    await system.close();
  }
}

runMain('takeover', main);
