/**
 * The raw bound: every host at once, one ssh2 connection (TCP_NODELAY) and one exec per host,
 * nothing between the caller and the hosts — no queue, no rendering, no result storage.
 */
import net from 'node:net';
import { Client } from 'ssh2';
import { parseRawOutput } from './raw-script';

export interface RawTarget {
  readonly hostname: string;
  readonly address: string;
  readonly port: number;
  readonly user: string;
}

export interface RawHostTiming {
  readonly hostname: string;
  /** TCP connect, SSH handshake and authentication. */
  readonly connectMs: number;
  /** Exec request until the channel closed. */
  readonly execMs: number;
  readonly ops: number;
  readonly failed: number;
  readonly changed: number;
  readonly error?: string;
}

export interface RawFanoutResult {
  readonly wallMs: number;
  readonly hosts: RawHostTiming[];
}

export interface RawFanoutOptions {
  readonly privateKey: Buffer;
  /** The host key blob expected at address:port; undefined refuses the host. */
  readonly hostKey: (address: string, port: number) => Buffer | undefined;
  readonly connectTimeoutMs?: number;
}

function runOne(target: RawTarget, command: string, options: RawFanoutOptions): Promise<RawHostTiming> {
  const t0 = performance.now();
  let tReady = t0;
  return new Promise((resolve) => {
    const client = new Client();
    let done = false;
    const finish = (timing: Omit<RawHostTiming, 'hostname'>) => {
      if (done) return;
      done = true;
      client.end();
      socket.destroy();
      resolve({ hostname: target.hostname, ...timing });
    };
    const fail = (error: string) => finish({ connectMs: tReady - t0, execMs: 0, ops: 0, failed: 0, changed: 0, error });
    const socket = net.connect({ host: target.address, port: target.port });
    socket.setNoDelay(true);
    socket.once('error', (e) => fail(e.message));
    socket.once('connect', () =>
      client.connect({
        sock: socket,
        username: target.user,
        privateKey: options.privateKey,
        // The bound has no timeout of its own: a thousand handshakes at once on two cores take minutes.
        readyTimeout: options.connectTimeoutMs ?? 600_000,
        hostVerifier: (key: Buffer) => options.hostKey(target.address, target.port)?.equals(key) ?? false,
      }),
    );
    client.once('error', (e) => fail(e.message));
    client.once('ready', () => {
      tReady = performance.now();
      client.exec(command, (error, channel) => {
        if (error) return fail(`exec: ${error.message}`);
        let stdout = '';
        channel.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
        channel.stderr.on('data', () => undefined);
        channel.on('close', () => finish({ connectMs: tReady - t0, execMs: performance.now() - tReady, ...parseRawOutput(stdout) }));
      });
    });
  });
}

/** Runs `command(target)` on every target at once; resolves when the last host is done. */
export async function rawFanout(targets: readonly RawTarget[], command: (t: RawTarget) => string, options: RawFanoutOptions): Promise<RawFanoutResult> {
  const t0 = performance.now();
  const hosts = await Promise.all(targets.map((t) => runOne(t, command(t), options)));
  return { wallMs: performance.now() - t0, hosts };
}
