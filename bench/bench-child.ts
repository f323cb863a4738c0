/**
 * Helper processes of the bench itself (the raw fan-out, the latency proxy), run with tsx like
 * SimpleCM's processes and driven over a line protocol: the parent writes one JSON request per
 * line on stdin, the child answers each with one `@@bench <json>` line on stdout, in order.
 * The child says `{"ready":true}` first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { repoRoot } from '@simplecm/stack';
import { trackResource } from './open-resources';
import { childPids } from './proc-stats';
import { errorMessage } from '@simplecm/kernel';

const PREFIX = '@@bench ';
const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');

// ---------------------------------------------------------------------------
// Child side.

/** Answers requests in order with `handle`; an error becomes `{ error }`. */
export function serveRequests(handle: (request: Record<string, unknown>) => Promise<unknown>): void {
  const send = (reply: unknown) => process.stdout.write(`${PREFIX}${JSON.stringify(reply)}\n`);
  const lines = readline.createInterface({ input: process.stdin });
  let queue = Promise.resolve();
  lines.on('line', (line) => {
    queue = queue.then(async () => {
      try {
        send(await handle(JSON.parse(line) as Record<string, unknown>));
      } catch (error) {
        send({ error: error instanceof Error ? error.stack ?? error.message : errorMessage(error) });
      }
    });
  });
  lines.on('close', () => void queue.then(() => process.exit(0)));
  send({ ready: true });
}

// ---------------------------------------------------------------------------
// Parent side.

export interface BenchChild {
  readonly child: ChildProcess;
  /** The node process doing the work (tsx runs it as a child of its own). */
  readonly appPid: number;
  request<T>(message: Record<string, unknown>): Promise<T>;
  output(): string;
  close(): Promise<void>;
}

export async function startBenchChild(file: string, env: Record<string, string> = {}): Promise<BenchChild> {
  const child = spawn(tsx, [path.join(__dirname, file)], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const waiting: Array<{ resolve: (v: unknown) => void; reject: (e: Error) => void }> = [];
  const replies: unknown[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', (code, signal) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`${file} exited ${code ?? signal}: ${output.slice(-2000)}`));
  });
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith(PREFIX)) {
      output += `${line}\n`;
      return;
    }
    const reply = JSON.parse(line.slice(PREFIX.length)) as { error?: string };
    const w = waiting.shift();
    if (!w) return void replies.push(reply);
    if (reply.error) w.reject(new Error(`${file}: ${reply.error}`));
    else w.resolve(reply);
  });
  child.stderr!.on('data', (d: Buffer) => (output += d.toString('utf8')));
  const next = <T>() =>
    new Promise<T>((resolve, reject) => {
      const early = replies.shift();
      if (early !== undefined) return resolve(early as T);
      waiting.push({ resolve: resolve as (v: unknown) => void, reject });
    });
  await next<{ ready: boolean }>();
  const appPid = childPids(child.pid!)[0] ?? child.pid!;
  let untrack: () => void = () => undefined;
  const handle: BenchChild = {
    child,
    appPid,
    request<T>(message: Record<string, unknown>) {
      const reply = next<T>();
      child.stdin!.write(`${JSON.stringify(message)}\n`);
      return reply;
    },
    output: () => output,
    async close() {
      untrack();
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  untrack = trackResource(handle);
  return handle;
}
