/**
 * What the shipped modules themselves cost on a host: the bench workload's ten scripts
 * (module prelude + rendered body, exactly as workers send them) run locally with
 * `bash --noprofile --norc`, each sourced in a subshell the way the SSH driver runs an operation,
 * with the contract's environment (SIMPLECM_CHECK=0, SIMPLECM_CHANGES, LC_ALL=C). No SSH, no
 * worker: only the scripts.
 *
 *   npx tsx bench/module-cost.ts [--iterations 20] [--rounds 5] [--no-strace]
 *
 * - cold: every iteration uses a new tag, so every operation but line_absent has something to do;
 * - warm: the same tag again and again, so everything is already in place;
 * - baseline: a script that is the prelude alone, run the same way (what any operation costs
 *   before its module body does anything: the subshell's fork and the prelude).
 *
 * CPU: bash's `times` builtin at the end of one bash that runs all the operations of a round
 * (its own user+sys plus its waited-for children's, so every process an operation starts is
 * counted), divided by the number of operations; the median of the rounds is reported, since
 * other work on the machine makes single rounds noisy.
 * Processes: each operation once more under `strace -ff -e trace=execve,clone,clone3,fork,vfork`
 * (one output file per process, so nothing interleaves), counting the processes the operation
 * started, not the subshell the harness forks for it, and which programs they exec.
 * strace slows everything down, so the CPU rounds run without it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BUNDLED_MODULES_DIR, loadModules, MODULE_PRELUDE } from '@simplecm/modules';
import { BENCH_ROOT, benchOperations, renderScripts } from './workload';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} needs a positive integer`);
  return value;
}

const iterations = option('iterations', 20);
const rounds = option('rounds', 5);
const useStrace = !process.argv.includes('--no-strace') && spawnSync('strace', ['-V']).status === 0;

const modules = loadModules(BUNDLED_MODULES_DIR);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'simplecm-module-cost-'));
const runId = `cost-${process.pid}-${Date.now()}`;
const tags: string[] = [];
let scriptCount = 0;

/** Writes one workload's ten scripts (for a tag) to files; returns their paths. */
function writeWorkload(tag: string): string[] {
  tags.push(tag);
  return renderScripts(modules, benchOperations(tag)).map((script) => {
    const file = path.join(work, `op${scriptCount++}.sh`);
    fs.writeFileSync(file, script);
    return file;
  });
}

const baselineScript = path.join(work, 'baseline.sh');
fs.writeFileSync(baselineScript, `${MODULE_PRELUDE}\n:\n`);

/**
 * One bash that runs the scripts in order, each sourced in a subshell as the driver does, and
 * stops at the first failure. Prints, last, `times` and then how many operations reported a change.
 */
function harness(scripts: readonly string[]): string {
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  return [
    'set -u',
    `export LC_ALL=C SIMPLECM_CHECK=0 SIMPLECM_CHANGES=${q(path.join(work, 'changes'))}`,
    '__changed=0',
    `for __f in ${scripts.map(q).join(' ')}; do`,
    '  : > "$SIMPLECM_CHANGES"',
    '  ( set +u; . "$__f" ) < /dev/null > /dev/null 2> "$SIMPLECM_CHANGES.err"',
    '  __rc=$?',
    '  if (( __rc != 0 )); then echo "failed: $__f exited $__rc" >&2; cat "$SIMPLECM_CHANGES.err" >&2; exit 1; fi',
    '  if [ -s "$SIMPLECM_CHANGES" ]; then __changed=$(( __changed + 1 )); fi',
    'done',
    'times',
    'echo "$__changed"',
    '',
  ].join('\n');
}

function runHarness(scripts: readonly string[], prefix: string[] = []): string {
  const file = path.join(work, 'harness.sh');
  fs.writeFileSync(file, harness(scripts));
  const [cmd, ...args] = [...prefix, 'bash', '--noprofile', '--norc', file];
  const res = spawnSync(cmd!, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (res.status !== 0) throw new Error(`harness failed (${res.status}): ${res.stderr}`);
  return res.stdout;
}

/** `times` prints "0m0.012s 0m0.004s" for the shell, then for its children. */
function cpuSeconds(timesOutput: string): number {
  let total = 0;
  for (const m of timesOutput.matchAll(/(\d+)m([\d.]+)s/g)) total += Number(m[1]) * 60 + Number(m[2]);
  return total;
}

/** CPU ms per operation, and how many operations reported a change. */
function measure(scripts: readonly string[]): { msPerOp: number; changed: number } {
  const out = runHarness(scripts).trimEnd().split('\n');
  const changed = Number(out.pop());
  return { msPerOp: (cpuSeconds(out.join('\n')) * 1000) / scripts.length, changed };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Processes one script starts (the harness and its subshell excluded), and what they exec. */
function processesOf(script: string): { processes: number; execs: string[] } {
  const dir = fs.mkdtempSync(path.join(work, 'strace-'));
  runHarness([script], ['strace', '-qq', '-ff', '-o', path.join(dir, 'p'), '-e', 'trace=execve,clone,clone3,fork,vfork']);
  const files = fs.readdirSync(dir);
  const execs: string[] = [];
  for (const f of files) {
    for (const m of fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/^execve\("([^"]*)".*= 0$/gm)) execs.push(path.basename(m[1]!));
  }
  fs.rmSync(dir, { recursive: true, force: true });
  // One file per process: the harness bash (its own execve of bash, not counted) and the
  // operation's subshell (a fork, no exec).
  const harnessExec = execs.indexOf('bash');
  if (harnessExec >= 0) execs.splice(harnessExec, 1);
  return { processes: files.length - 2, execs };
}

function main(): void {
  const names = benchOperations('x').map((op) => `${op.module} (${op.name})`);
  const cold: number[] = [];
  const warm: number[] = [];
  const base: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const coldScripts: string[] = [];
    for (let i = 0; i < iterations; i++) coldScripts.push(...writeWorkload(`${runId}-c${r}-${i}`));
    const c = measure(coldScripts);
    if (c.changed !== coldScripts.length - iterations) throw new Error(`cold: ${c.changed} operations changed, expected 9 of every 10 (line_absent has nothing to do)`);
    cold.push(c.msPerOp);

    const warmOnce = writeWorkload(`${runId}-w${r}`);
    measure(warmOnce); // make it warm
    const warmScripts = Array.from({ length: iterations }, () => warmOnce).flat();
    const w = measure(warmScripts);
    if (w.changed !== 0) throw new Error(`warm: ${w.changed} operations changed, expected none`);
    warm.push(w.msPerOp);

    base.push(measure(Array.from({ length: iterations * 10 }, () => baselineScript)).msPerOp);
  }
  const fmt = (xs: number[]): string => `${median(xs).toFixed(2)} ms/op (rounds: ${xs.map((x) => x.toFixed(2)).join(' ')})`;
  console.log(`modules: ${BUNDLED_MODULES_DIR}; ${rounds} rounds of ${iterations} workloads (${iterations * 10} operations) each`);
  console.log(`CPU cold:     ${fmt(cold)}`);
  console.log(`CPU warm:     ${fmt(warm)}`);
  console.log(`CPU baseline: ${fmt(base)}  (prelude only: the floor of any operation)`);

  if (!useStrace) {
    console.log('processes: strace not available (or --no-strace)');
    return;
  }
  const coldOps = writeWorkload(`${runId}-sc`);
  const warmOps = writeWorkload(`${runId}-sw`);
  measure(warmOps);
  const rows: string[] = [];
  let coldTotal = 0;
  let warmTotal = 0;
  coldOps.forEach((script, i) => {
    const c = processesOf(script);
    const w = processesOf(warmOps[i]!);
    coldTotal += c.processes;
    warmTotal += w.processes;
    rows.push(`  ${names[i]!.padEnd(42)} cold ${String(c.processes).padStart(2)} [${c.execs.join(' ')}]  warm ${String(w.processes).padStart(2)} [${w.execs.join(' ')}]`);
  });
  console.log(`processes cold: ${(coldTotal / 10).toFixed(1)}/op (${coldTotal} per workload)`);
  console.log(`processes warm: ${(warmTotal / 10).toFixed(1)}/op (${warmTotal} per workload)`);
  console.log('per operation (processes started [programs exec\'d]):');
  console.log(rows.join('\n'));
}

try {
  main();
} finally {
  fs.rmSync(work, { recursive: true, force: true });
  for (const tag of tags) fs.rmSync(path.join(BENCH_ROOT, tag), { recursive: true, force: true });
}
