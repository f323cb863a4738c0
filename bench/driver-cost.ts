/**
 * What the host driver itself costs on a host: CPU of one host job of N trivial operations
 * (`command: true`, rendered and wrapped exactly as workers do: prelude header, module functions
 * once, a journal per host job), without the operations' own work worth speaking of.
 *
 *   npx tsx bench/driver-cost.ts [--ops 10] [--jobs 40] [--rounds 3] [--host N] [--strace]
 *
 * Locally (default): one bash runs --jobs host jobs one after the other, each as the worker's
 * exec channel would (`bash -c DRIVER_COMMAND` with the script on stdin, a new journal key each,
 * journals under a private root), then prints `times`: its children's user+sys, so every process
 * the launcher and the detached driver start is counted (the driver is waited for by its
 * launcher). The figure is that CPU divided by --jobs, the median of --rounds.
 * With --host N: the same on stack host N over SSH (the scripts are sent in one tar-less stream of
 * files into a private directory there, then one exec channel runs the loop and `times`); the
 * journals go under the SSH user's real root, as in a run, and are removed afterwards.
 * With --strace (local only): one host job more under `strace -f -c -e trace=process`, printing
 * how many processes it forked and how many programs it exec'd, and which.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { loadModules, MODULE_FUNCTIONS, MODULE_PRELUDE_HEADER, renderOperation, resolveModulesDir } from '@simplecm/modules';
import { buildDriverScript, connectHost, DRIVER_COMMAND, hostKeyPolicy, journalKey, loadKnownHosts, newFrameMarker } from '@simplecm/ssh';
import { shellQuote } from '@simplecm/kernel';
import { hostAddress, stackPaths } from '@simplecm/stack';

const { values: flags } = parseArgs({ options: { ops: { type: 'string' }, jobs: { type: 'string' }, rounds: { type: 'string' }, host: { type: 'string' }, strace: { type: 'boolean' } } });
const count = (value: string | undefined, fallback: number): number => {
  const n = Number(value ?? fallback);
  if (!Number.isInteger(n) || n < 1) throw new Error(`not a positive integer: ${value}`);
  return n;
};
const opCount = count(flags.ops, 10);
const jobs = count(flags.jobs, 40);
const rounds = count(flags.rounds, 3);
const hostIndex = flags.host === undefined ? undefined : count(flags.host, 1);

const modules = loadModules(resolveModulesDir(undefined));
const body = renderOperation(modules, { seq: 0, name: 'trivial', module: 'command', attributes: { command: 'true' }, become: null });

/** Journal keys of the host jobs made (the host's journals are removed by key afterwards). */
const keys: string[] = [];

function driverScript(journalRoot: string | undefined): string {
  const operations = Array.from({ length: opCount }, (_, seq) => ({ seq, script: `${MODULE_PRELUDE_HEADER}${body}`, timeoutSeconds: 60 }));
  const key = journalKey(randomUUID(), 'bench');
  keys.push(key);
  return buildDriverScript(operations, { mode: 'apply', keepGoing: false, marker: newFrameMarker(), functions: MODULE_FUNCTIONS, journalKey: key, journalRoot });
}

/** The loop one bash runs: every script in DIR through DRIVER_COMMAND, then its children's CPU. */
function loopCommand(dir: string): string {
  return `for __f in ${shellQuote(dir)}/job.*; do bash --noprofile --norc -c ${shellQuote(DRIVER_COMMAND)} < "$__f" > /dev/null || echo "driver exited $?" >&2; done; times`;
}

/** `times` prints two lines (shell, children) of `XmY.YYYs XmY.YYYs`; the children's user+sys in ms. */
function childrenMs(timesOutput: string): number {
  const line = timesOutput.trim().split('\n').pop() ?? '';
  const parts = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60_000 + Number(m[2]) * 1000);
  if (parts.length !== 2) throw new Error(`unexpected times output: ${timesOutput}`);
  return parts[0]! + parts[1]!;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function local(): void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'simplecm-driver-cost-'));
  const journals = path.join(root, 'journal');
  fs.mkdirSync(journals, { mode: 0o700 });
  try {
    const perJob: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const dir = fs.mkdtempSync(path.join(root, 'scripts-'));
      for (let j = 0; j < jobs; j++) fs.writeFileSync(path.join(dir, `job.${String(j).padStart(4, '0')}`), driverScript(journals));
      const run = spawnSync('bash', ['--noprofile', '--norc', '-c', loopCommand(dir)], { encoding: 'utf8' });
      if (run.status !== 0 || run.stderr) throw new Error(`round failed: ${run.stderr}`);
      perJob.push(childrenMs(run.stdout) / jobs);
    }
    console.log(`local: ${opCount} trivial operations per host job, ${jobs} jobs x ${rounds} rounds: ${median(perJob).toFixed(1)} ms of CPU per host job (rounds: ${perJob.map((v) => v.toFixed(1)).join(', ')})`);
    if (flags.strace) {
      const file = path.join(root, 'one');
      fs.writeFileSync(file, driverScript(journals));
      const traced = spawnSync('strace', ['-f', '-qq', '-e', 'trace=execve,clone,clone3,fork,vfork', '-o', path.join(root, 'trace'), 'bash', '--noprofile', '--norc', '-c', DRIVER_COMMAND], { input: fs.readFileSync(file), encoding: 'utf8' });
      if (traced.status !== 0) throw new Error(`traced run exited ${traced.status}: ${traced.stderr}`);
      const lines = fs.readFileSync(path.join(root, 'trace'), 'utf8').split('\n');
      const forks = lines.filter((l) => /\b(clone3?|v?fork)\(/.test(l) && !/= -1/.test(l) && !/CLONE_THREAD/.test(l)).length;
      const execs = lines.filter((l) => /execve\(/.test(l) && / = 0$/.test(l)).map((l) => /execve\("([^"]+)"/.exec(l)?.[1] ?? '?');
      const counts = new Map<string, number>();
      for (const e of execs) counts.set(e, (counts.get(e) ?? 0) + 1);
      console.log(`one host job under strace: ${forks} forks, ${execs.length} execs: ${[...counts].map(([p, n]) => `${path.basename(p)}×${n}`).join(' ')}`);
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

async function onHost(n: number): Promise<void> {
  const client = await connectHost(
    { hostname: `host${n}`, address: hostAddress(n), port: 22, user: 'root' },
    { privateKey: fs.readFileSync(`${stackPaths.keysDir}/stack`), hostKeys: hostKeyPolicy(loadKnownHosts(stackPaths.knownHosts)), connectTimeoutMs: 10_000 },
  );
  const exec = (command: string, input = ''): Promise<{ stdout: string; stderr: string; code: number | null }> =>
    new Promise((resolve, reject) => {
      client.exec(command, (error, channel) => {
        if (error) return reject(error);
        let stdout = '';
        let stderr = '';
        let code: number | null = null;
        channel.on('data', (d: Buffer) => (stdout += d.toString()));
        channel.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        channel.on('exit', (c: number | null) => (code = c));
        channel.on('close', () => resolve({ stdout, stderr, code }));
        channel.end(input);
      });
    });
  const dir = `/var/tmp/simplecm-driver-cost-${randomUUID()}`;
  try {
    const perJob: number[] = [];
    for (let r = 0; r < rounds; r++) {
      await exec(`rm -rf ${dir} && mkdir -m 0700 -p ${dir}`);
      // Each script on its own channel (small): written with cat, nothing measured yet.
      for (let j = 0; j < jobs; j++) await exec(`cat > ${dir}/job.${String(j).padStart(4, '0')}`, driverScript(undefined));
      const run = await exec(`bash --noprofile --norc -c ${shellQuote(loopCommand(dir))}`);
      if (run.code !== 0 || run.stderr) throw new Error(`round failed on host${n}: ${run.stderr}`);
      perJob.push(childrenMs(run.stdout) / jobs);
    }
    console.log(`host${n} over SSH: ${opCount} trivial operations per host job, ${jobs} jobs x ${rounds} rounds: ${median(perJob).toFixed(1)} ms of CPU per host job (rounds: ${perJob.map((v) => v.toFixed(1)).join(', ')})`);
  } finally {
    // The bench's journals (finished ones, under the real root) go with the scripts.
    await exec(`rm -rf ${dir}; cd /var/lib/simplecm/journal && rm -rf -- ${keys.join(' ')}`);
    client.end();
  }
}

if (hostIndex === undefined) local();
else void onHost(hostIndex).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
