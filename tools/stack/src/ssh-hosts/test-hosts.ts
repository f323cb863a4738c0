/**
 * N real OpenSSH test hosts on this one machine.
 *
 * Host N is an sshd listening on `hostAddress(N)`:22 (all of 127/8 is on lo), running
 * as PID 1 of its own PID namespace, in its own UTS namespace (hostname `hostN`) and
 * mount namespace, chrooted into a copy-on-write overlay of the machine's `/`
 * (see host-init.sh). Writes on a host land in `.stack/hosts/hostN/upper` and nowhere
 * else; `hostsDown`/`resetHost` throw that away, so hosts are ephemeral, while the host
 * keys (and so known_hosts) and the client key stay. `rebootHost` kills a host and starts it
 * again on the same upper dir (a power cut and a reboot: files persist, /tmp does not).
 *
 * Layout of `.stack/hosts/hostN/`:
 *   ssh_host_ed25519_key{,.pub}, machine-id  kept across restarts
 *   upper/ work/ root/                        overlay upper, work dir, mount point
 *   fstab                                     what host-init.sh mounts
 *   unshare.pid, sshd.pid, sshd.log           records of the running host
 *
 * sshd runs as PID 1 of the host, so SIGTERM to it ends the whole host (`unshare
 * --fork` itself ignores SIGTERM). Running hosts are found in /proc by the command
 * line of their `unshare` process, which names host-init.sh and the host's directory.
 * Every hosts operation holds `.stack/hosts/.lock` (parallel jest workers call hostsUp).
 *
 * A system sshd on 0.0.0.0:22 makes every bind to 127.10.x.y:22 fail. When it is
 * Debian's own `ssh` service we stop it (not disable: it comes back on reboot and the
 * next `up` stops it again) and say so in the log; SIMPLECM_KEEP_SYSTEM_SSHD=1 makes
 * `hostsUp` refuse instead. Anything else on *:22 is refused with a message.
 *
 * This file is the hosts' public operations; beside it, one concern each: stack-host.ts
 * (numbering, addresses, groups), host-keys.ts, sshd-config.ts, host-overlay.ts (the upper
 * dir, fstab, leaked mounts), host-process.ts (start, stop, finding them in /proc),
 * socket-forensics.ts and system-sshd.ts (who holds port 22), hosts-lock.ts, host-inventory.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { stackPaths } from '../paths';
import { runPool } from '../run-pool';
import { type ComponentStatus, StackError } from '../stack-error';
import { hostDirNumbers, readInventoryCount, writeInventoryFiles } from './host-inventory';
import { ensureClientKey, ensureHostKey } from './host-keys';
import { leakedOverlays, wipeHost } from './host-overlay';
import { bootHost, type HostProcess, hostProcesses, killHost, requireTools, startHost, stopHost } from './host-process';
import { withHostsLock } from './hosts-lock';
import { describePid } from './proc-files';
import { socketOwner, tcpListeners } from './socket-forensics';
import { HOST_KEY_NAME, HOST_PORT, HOST_USER, type StackHost, hostAddress, hostName } from './stack-host';
import { clearWildcardPort22 } from './system-sshd';

/** How many hosts are prepared and started at the same time. */
const START_CONCURRENCY = 32;

function isUp(p: HostProcess | undefined, listeners: Map<string, string>): boolean {
  return p !== undefined && p.sshd !== undefined && listeners.has(hostAddress(p.n));
}

/**
 * Makes hosts 1…count run: running ones are kept, missing ones started (in parallel),
 * any above count stopped. Writes known_hosts and the inventory.
 */
export async function hostsUp(opts: { count: number; log: (line: string) => void; atLeast?: boolean }): Promise<StackHost[]> {
  const { log } = opts;
  if (!Number.isInteger(opts.count) || opts.count < 0 || opts.count > 250 * 256) throw new StackError(`invalid host count: ${opts.count}`);
  const tools = requireTools();
  return withHostsLock(async () => {
    // atLeast: the tests need five hosts but must not stop a benchmark's larger stack.
    const count = opts.atLeast ? Math.max(opts.count, readInventoryCount()) : opts.count;
    const client = await ensureClientKey();
    const clientPub = client.pub;
    const running = hostProcesses();
    if (client.created && running.size > 0) {
      // Running hosts trust the old key: start them again with the new one.
      log(`hosts: new client key ${path.join(stackPaths.keysDir, HOST_KEY_NAME)}: restarting ${running.size} running host(s)`);
      await runPool([...running.values()], START_CONCURRENCY, stopHost);
      running.clear();
    }
    const keyErrors = await runPool(
      Array.from({ length: count }, (_, i) => i + 1),
      START_CONCURRENCY,
      ensureHostKey,
    );
    if (keyErrors.length > 0) throw keyErrors[0]!;

    const surplus = [...running.values()].filter((p) => p.n > count);
    if (surplus.length > 0) log(`hosts: stopping ${surplus.length} host(s) above host${count}`);
    const stopErrors = await runPool(surplus, START_CONCURRENCY, stopHost);
    if (stopErrors.length > 0) throw new StackError(`hosts: ${stopErrors.length} host(s) did not stop: ${stopErrors[0]!.message}`);
    for (const n of hostDirNumbers()) if (n > count && !running.has(n)) wipeHost(n);

    const listeners = tcpListeners(HOST_PORT);
    const toStart: number[] = [];
    for (let n = 1; n <= count; n++) {
      const p = running.get(n);
      if (isUp(p, listeners)) continue;
      if (p) await stopHost(p); // half-started or sshd gone: start it again
      toStart.push(n);
    }
    if (toStart.length > 0) {
      await clearWildcardPort22(log);
      const after = tcpListeners(HOST_PORT);
      const taken = toStart.filter((n) => after.has(hostAddress(n)));
      if (taken.length > 0) {
        const n = taken[0]!;
        throw new StackError(
          `${hostAddress(n)}:${HOST_PORT} (${hostName(n)}) is taken by ${describePid(socketOwner(after.get(hostAddress(n))!))}, ` +
            `not by this stack: stop it (maybe a stack of another checkout: 'npm run stack -- down' there)`,
        );
      }
      const started = Date.now();
      log(`hosts: starting ${toStart.length} host(s) (${count - toStart.length} already up)`);
      let done = 0;
      const step = Math.max(1, Math.ceil(toStart.length / 10));
      const errors = await runPool(toStart, START_CONCURRENCY, async (n) => {
        await startHost(n, clientPub, tools);
        done++;
        if (done % step === 0 && done < toStart.length) log(`hosts: ${count - toStart.length + done}/${count} up`);
      });
      if (errors.length > 0) {
        throw new StackError(
          `hosts: ${errors.length} of ${toStart.length} host(s) failed to start (the others are up; 'stack up' retries): ${errors[0]!.message}`,
        );
      }
      log(`hosts: ${count}/${count} up in ${((Date.now() - started) / 1000).toFixed(1)} s (${hostAddress(1)}…:${HOST_PORT})`);
    } else {
      log(`hosts: ${count}/${count} already up`);
    }
    return writeInventoryFiles(count);
  });
}

/**
 * Stops every host; leaves no process, mount or listener. Host keys, the client key
 * and known_hosts stay; what the hosts wrote and the inventory go.
 */
export async function hostsDown(): Promise<void> {
  await withHostsLock(async () => {
    const running = [...hostProcesses().values()];
    const errors = await runPool(running, START_CONCURRENCY, stopHost);
    if (errors.length > 0) throw new StackError(`hosts: ${errors.length} host(s) did not stop: ${errors[0]!.message}`);
    for (const n of hostDirNumbers()) wipeHost(n);
    // The inventory lists running hosts; known_hosts stays (the keys do too).
    fs.rmSync(stackPaths.inventory, { force: true });
    const leaks = leakedOverlays();
    if (leaks.length > 0) {
      throw new StackError(
        `hosts stopped, but overlays of ${stackPaths.hostsDir} are still mounted in mount namespaces held by ${leaks.join(', ')}: end those processes`,
      );
    }
  });
}

/** One line for all hosts: "5/5 hosts up …" against the inventory's count. */
export async function hostsStatus(): Promise<ComponentStatus[]> {
  const expected = readInventoryCount();
  const running = hostProcesses();
  const listeners = tcpListeners(HOST_PORT);
  let up = 0;
  const down: string[] = [];
  for (let n = 1; n <= expected; n++) {
    if (isUp(running.get(n), listeners)) up++;
    else down.push(hostName(n));
  }
  const extra = [...running.keys()].filter((n) => n > expected).length;
  let detail: string;
  if (expected === 0) {
    detail = running.size > 0 ? `no inventory, but ${running.size} host process(es) running: run 'stack down'` : 'no hosts';
  } else {
    detail =
      `${up}/${expected} hosts up on ${hostAddress(1)}…${hostAddress(expected)}:${HOST_PORT} (user ${HOST_USER}, key '${HOST_KEY_NAME}', ${stackPaths.hostsDir})` +
      (down.length > 0 ? `; down: ${down.slice(0, 5).join(', ')}${down.length > 5 ? ', …' : ''}` : '') +
      (extra > 0 ? `; ${extra} host(s) beyond the inventory still running` : '');
  }
  return [{ name: 'hosts', running: expected > 0 && up === expected && extra === 0, detail }];
}

/** Restarts host n from scratch (empty upper dir), with the same host key. */
export async function resetHost(n: number): Promise<void> {
  const tools = requireTools();
  await withHostsLock(async () => {
    const count = readInventoryCount();
    if (!Number.isInteger(n) || n < 1 || n > count) {
      throw new StackError(`no ${hostName(n)}: the stack has ${count} host(s) (run 'stack up' first)`);
    }
    const p = hostProcesses().get(n);
    if (p) await stopHost(p);
    await ensureHostKey(n);
    await startHost(n, (await ensureClientKey()).pub, tools);
  });
}

/**
 * Host n reboots after a power cut: every process of it is SIGKILLed (sshd, sessions, whatever
 * they started, detached or not), then it boots again on the same upper dir, so its files persist
 * (/tmp, /run and /dev/shm are fresh tmpfs, as after a reboot), with the same address and host
 * key. Resolves once its sshd listens again.
 */
export async function rebootHost(n: number): Promise<void> {
  requireTools();
  await withHostsLock(async () => {
    const p = hostProcesses().get(n);
    if (!p) throw new StackError(`${hostName(n)} is not running: nothing to reboot`);
    await killHost(p);
    await bootHost(n, p.argv, 'a');
  });
}
