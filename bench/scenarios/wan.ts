/**
 * WAN: the comparison again, with every client (SimpleCM workers, the raw bound, Ansible)
 * reaching the hosts through the latency proxy: stack host k at 127.11.x.y:2222, forwarded to
 * its sshd at 127.10.x.y:22 with `--wan-delay` ms each way. SimpleCM's inventory points at the
 * proxy and its known_hosts has `[addr]:2222` entries for those names.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { formatKnownHostsLine, loadKnownHosts } from '@simplecm/ssh';
import { hostAddress, stackPaths } from '@simplecm/stack';
import type { BenchOptions } from '../bench-options';
import { startBenchChild } from '../bench-child';
import { benchDir } from '../bench-system';
import type { ProxyRoute } from '../latency-proxy';
import type { RunSample } from '../samples';
import { benchHostNumbers, stackHosts } from '../bench-host-pool';
import { runComparison } from './compare';

export const PROXY_PORT = 2222;

/** 127.11.0.1 … like the stack's hostAddress, in 127.11/16. */
export function proxyAddress(n: number): string {
  return hostAddress(n).replace(/^127\.10\./, '127.11.');
}

/** Milliseconds from connecting to the first byte (the SSH banner). */
function timeToBanner(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const socket = net.connect({ host, port });
    socket.once('data', () => {
      resolve(performance.now() - t0);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

export async function runWan(
  options: BenchOptions,
  io: { log: (line: string) => void; ensureHosts: (n: number) => Promise<void>; onSample: (s: RunSample) => void; note: (text: string) => void },
): Promise<void> {
  const n = options.wanHosts;
  await io.ensureHosts(n);
  const numbers = benchHostNumbers(n);
  const routes: ProxyRoute[] = numbers.map((k) => ({ listenHost: proxyAddress(k), listenPort: PROXY_PORT, targetHost: hostAddress(k), targetPort: 22 }));
  const stackKnownHosts = loadKnownHosts(stackPaths.knownHosts);
  const knownHosts = path.join(benchDir, 'wan_known_hosts');
  fs.writeFileSync(
    knownHosts,
    routes
      .map((r, i) => {
        const key = stackKnownHosts.keysFor([`host${numbers[i]}`], 22).keys[0];
        if (!key) throw new Error(`host${numbers[i]} has no key in ${stackPaths.knownHosts}`);
        return formatKnownHostsLine([`host${numbers[i]}`, r.listenHost], PROXY_PORT, key);
      })
      .join(''),
  );
  const proxy = await startBenchChild('latency-proxy-main.ts');
  try {
    await proxy.request({ op: 'start', routes, oneWayDelayMs: options.wanDelayMs });
    const median = async (probe: () => Promise<number>) => {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) times.push(await probe());
      return times.sort((a, b) => a - b)[2]!;
    };
    const direct = await median(() => timeToBanner(hostAddress(numbers[0]!), 22));
    const proxied = await median(() => timeToBanner(proxyAddress(numbers[0]!), PROXY_PORT));
    const check = `WAN proxy check: first byte (SSH banner) after ${proxied.toFixed(0)} ms through the proxy, ${direct.toFixed(0)} ms direct (medians of 5) (expected ≈ ${3 * options.wanDelayMs} ms more: one RTT of connect, one way back)`;
    io.log(check);
    io.note(check);
    await runComparison({
      scenario: 'wan',
      hostCounts: [n],
      repeat: options.repeat,
      ansibleRepeat: options.ansibleRepeat,
      ansibleStrategy: options.ansibleStrategy,
      ansibleForks: options.ansibleForks,
      pyinfraRepeat: options.pyinfraRepeat,
      lean: options.lean,
      workerCounts: options.workerCounts,
      tsxWorkers: options.tsxWorkers,
      masterWorkers: options.masterWorkers,
      ansibleHostCounts: [n],
      hostsFor: (m) => stackHosts(m, (k) => ({ address: proxyAddress(k), port: PROXY_PORT })),
      knownHosts,
      ensureHosts: io.ensureHosts,
      runTimeoutMs: 10 * 60_000,
      log: io.log,
      onSample: io.onSample,
      note: io.note,
    });
  } finally {
    await proxy.close();
  }
}
