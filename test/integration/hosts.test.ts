/**
 * The stack's test hosts are real, separate OpenSSH machines as far as a script over
 * SSH can tell: own hostname, own filesystem (copy-on-write), own host key that
 * matches the stack's known_hosts.
 *
 * Needs root and openssh-server; starts (or keeps) at least 5 hosts.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Client } from 'ssh2';
import { hostKeyPolicy, type KnownHosts, loadKnownHosts } from '@simplecm/ssh';
import { hostAddress, hostsUp, type StackHost, stackPaths } from '@simplecm/stack';

jest.setTimeout(60_000);

let hosts: StackHost[];
let knownHosts: KnownHosts;
let knownHostsLines: string[];

function host(name: string): StackHost {
  const found = hosts.find((h) => h.hostname === name);
  if (!found) throw new Error(`${name} is not in the inventory`);
  return found;
}

/** Connects with our own TCP socket (ssh2 has no option for TCP_NODELAY). */
function connect(target: StackHost, hostVerifier: (key: Buffer) => boolean): Promise<Client> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: target.address, port: target.port });
    sock.setNoDelay(true);
    const client = new Client();
    client.once('ready', () => resolve(client));
    client.once('error', (err) => {
      sock.destroy();
      reject(err);
    });
    client.connect({
      sock,
      username: target.user,
      privateKey: fs.readFileSync(path.join(stackPaths.keysDir, target.keyName)),
      hostVerifier,
      readyTimeout: 20_000,
    });
  });
}

function verifierFor(target: StackHost): (key: Buffer) => boolean {
  const policy = hostKeyPolicy(knownHosts);
  return (key) => policy.verify(target, key) === undefined;
}

function exec(client: Client, command: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) return reject(err);
      let stdout = '';
      let stderr = '';
      let code: number | null = null;
      stream.on('data', (d: Buffer) => (stdout += d.toString()));
      stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      stream.on('exit', (c: number | null) => (code = c));
      stream.on('close', () => resolve({ code, stdout, stderr }));
    });
  });
}

async function run(target: StackHost, command: string) {
  const client = await connect(target, verifierFor(target));
  try {
    return await exec(client, command);
  } finally {
    client.end();
  }
}

beforeAll(async () => {
  // Keep a bigger stack someone else started; never shrink it.
  let running = 0;
  try {
    running = (JSON.parse(fs.readFileSync(stackPaths.inventory, 'utf8')) as { hosts: unknown[] }).hosts.length;
  } catch {
    /* no stack yet */
  }
  await hostsUp({ count: Math.max(5, running), log: () => undefined });
  hosts = (JSON.parse(fs.readFileSync(stackPaths.inventory, 'utf8')) as { hosts: StackHost[] }).hosts;
  knownHosts = loadKnownHosts(stackPaths.knownHosts);
  knownHostsLines = fs.readFileSync(stackPaths.knownHosts, 'utf8').trim().split('\n');
});

test('inventory and known_hosts describe hostN at 127.10.x.y:22 with groups', () => {
  expect(hosts.length).toBeGreaterThanOrEqual(5);
  hosts.forEach((h, i) => {
    expect(h).toMatchObject({ hostname: `host${i + 1}`, address: hostAddress(i + 1), port: 22, user: 'root', keyName: 'stack' });
    expect(h.groups).toContain('all');
    expect(h.groups).toContain((i + 1) % 2 === 1 ? 'odd' : 'even');
  });
  expect(hosts.filter((h) => h.groups.includes('web')).map((h) => h.hostname)).toEqual(['host1', 'host2', 'host3', 'host4']);
  expect(hosts.filter((h) => h.groups.includes('db')).map((h) => h.hostname)).toEqual(['host5']);
  expect(hostAddress(250)).toBe('127.10.0.250');
  expect(hostAddress(251)).toBe('127.10.1.1');
  // One line per host, plain names for port 22 (no [brackets]), one distinct key each.
  expect(knownHostsLines).toHaveLength(hosts.length);
  expect(knownHostsLines[0]!.split(' ')[0]).toBe(`host1,${hostAddress(1)}`);
  const keys = hosts.map((h) => knownHosts.keysFor([h.hostname, h.address], h.port).keys);
  for (const k of keys) expect(k).toHaveLength(1);
  expect(new Set(keys.map((k) => k[0]!.toString('base64'))).size).toBe(hosts.length);
});

test('every host answers with its own hostname', async () => {
  const queue = [...hosts];
  const seen: Record<string, string> = {};
  await Promise.all(
    Array.from({ length: Math.min(16, queue.length) }, async () => {
      for (let h = queue.shift(); h; h = queue.shift()) {
        const r = await run(h, 'hostname');
        seen[h.hostname] = r.stdout.trim();
      }
    }),
  );
  for (const h of hosts) expect(seen[h.hostname]).toBe(h.hostname);
});

test('a host has its own processes, a plain root shell and sshd as PID 1', async () => {
  const r = await run(host('host3'), 'echo "$0 $(id -u)"; cat /proc/1/cmdline | tr "\\0" " "; echo; wc -c < /root/.bashrc; ps -e --no-headers | wc -l');
  const [shell, pid1, bashrcSize, processes] = r.stdout.trim().split('\n');
  expect(shell).toBe('bash 0');
  expect(pid1).toContain('sshd');
  expect(bashrcSize).toBe('0');
  expect(Number(processes)).toBeLessThan(10); // not the machine's hundreds
});

test('a file written on host1 exists only on host1', async () => {
  const name = `simplecm-isolation-${crypto.randomBytes(6).toString('hex')}`;
  const files = [`/etc/${name}`, `/root/${name}`];
  const written = await run(host('host1'), files.map((f) => `echo host1 > ${f}`).join(' && ') + ` && cat ${files.join(' ')}`);
  expect(written).toMatchObject({ code: 0, stdout: 'host1\nhost1\n' });
  try {
    const other = await run(host('host2'), files.map((f) => `test ! -e ${f}`).join(' && ') + ' && echo absent');
    expect(other).toMatchObject({ code: 0, stdout: 'absent\n' });
    for (const f of files) expect(fs.existsSync(f)).toBe(false); // nor on the machine
  } finally {
    await run(host('host1'), `rm -f ${files.join(' ')}`);
  }
});

test('a host presenting a key other than the known one is refused before anything runs', async () => {
  const host1 = host('host1');
  // Expect host2's key from host1: the verifier sees host1's real key and says no.
  const wrong = verifierFor(host('host2'));
  let offered: Buffer | undefined;
  const attempt = connect(host1, (key) => {
    offered = key;
    return wrong(key);
  });
  await expect(attempt).rejects.toThrow(/verification failed/i);
  // It was host1's genuine key, just not the expected one; no session ever opened
  // ('ready' never fired, so there was no client to exec on).
  expect(offered).toBeDefined();
  expect(verifierFor(host1)(offered!)).toBe(true);
  expect(wrong(offered!)).toBe(false);
});
