import { liveMasters } from '@simplecm/queue';
import { startProcess, type Started } from '@simplecm/stack';
import { waitUntil, withRedis } from './faults';
import type { TestSystem } from './system';

/**
 * Starts a resident master (`simplecm master`) of the test system as a real process and waits
 * until its heartbeat is in Redis (so `simplecm run` submits to it). Stopped by system.close().
 */
export async function startMaster(system: TestSystem, name: string, args: string[] = [], env: Record<string, string> = {}): Promise<Started> {
  const started = startProcess('master', ['--name', name, ...args], { ...system.env, ...env });
  system.processes.push(started);
  await waitUntil(`master ${name} to announce itself`, async () => {
    if (started.child.exitCode !== null) throw new Error(`master ${name} exited: ${started.output()}`);
    return withRedis(system, async (redis) => (await liveMasters(redis, system.prefix)).includes(name));
  }, { timeoutMs: 60_000, detail: started.output });
  return started;
}
