/**
 * `npx tsx bench/check-run-cost.ts [--hosts N] [--runs R]`: what a drift probe (a check run with
 * nothing to change) costs in Cassandra per host (issue 17), on a stack that is already running
 * (nothing is started or stopped but this script's own worker and results consumer). Own keyspace
 * and queue prefix (dropped and deleted at the end), N hosts (default 5) on the stack's hosts
 * 1–5 (round robin), each with a few file operations under its own directory in /tmp.
 *
 * It converges the hosts once (apply), then runs R check runs (default 5) and R apply runs with
 * nothing to change, and reports per host per run and per table:
 * - writes: Cassandra's own counts (system_views.local_write_latency and
 *   coordinator_write_latency of Cassandra 5.0: one per partition update), the difference
 *   around each run once the counts stop moving;
 * - rows and bytes: the rows the run wrote, read back, and the bytes of their cell values as
 *   the statements carried them (row-value-bytes.ts). No virtual table of Cassandra 5.0 counts
 *   bytes written per table (disk_usage is on-disk size after a flush, in MiB).
 * The table goes to stdout and bench/results/check-run-cost.md. At the end one apply run removes
 * the hosts' directories.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Client, types } from 'cassandra-driver';
import { z } from 'zod';
import { intFlag, parseCli } from '@simplecm/config';
import type { Host, Operation } from '@simplecm/domain';
import { hostAddress, repoRoot } from '@simplecm/stack';
import { createBenchSystem, type BenchSystem } from './bench-system';
import { readWriteCounts, sameCounts, writeCountDelta, type WriteCounts } from './table-write-counts';
import { rowValueBytes } from './row-value-bytes';
import { runMain } from './run-main';

const STACK_HOSTS = 5;
/** Tables written once per run (not per host): shown per run and divided by the host count. */
const PER_RUN_TABLES = new Set(['runs', 'runs_by_month', 'run_launches']);
/** What a progress update of the runs row sets (runs.ts). */
const PROGRESS_COLUMNS = 'count_ok, count_changed, count_failed, count_skipped, count_unreachable, count_rejected, hosts_done, status, finished_at';

/** The desired state of one host: a few file operations, all under `base`. */
function operationsUnder(base: string): Operation[] {
  const ops: Array<Omit<Operation, 'seq' | 'become'>> = [
    { name: 'base directory', module: 'directory', attributes: { path: base, mode: '0755' } },
    { name: 'app.conf', module: 'file_content', attributes: { path: `${base}/app.conf`, content: 'listen = 0.0.0.0:8080\nworkers = 4\n', mode: '0644' } },
    { name: 'marker', module: 'file_exists', attributes: { path: `${base}/marker` } },
    { name: 'hosts.allow line', module: 'file_contains', attributes: { path: `${base}/hosts.allow`, text: 'sshd: 10.0.0.0/8' } },
  ];
  return ops.map((op, seq) => ({ ...op, seq, become: null }));
}

/** What one run cost: Cassandra's write counts and, per table, the rows it wrote and their value bytes. */
interface RunCost {
  readonly writes: WriteCounts;
  readonly rows: Map<string, number>;
  readonly bytes: Map<string, number>;
}

function add(map: Map<string, number>, table: string, n: number): void {
  map.set(table, (map.get(table) ?? 0) + n);
}

/** Reads back every row the run wrote, per table (host rows of one-bucket runs: every run here). */
async function rowsOfRun(cassandra: Client, ks: string, runId: string, hostnames: readonly string[]): Promise<Pick<RunCost, 'rows' | 'bytes'>> {
  const rows = new Map<string, number>();
  const bytes = new Map<string, number>();
  const take = async (table: string, query: string, params: unknown[], keep?: (r: types.Row) => boolean) => {
    const rs = await cassandra.execute(query, params, { prepare: true });
    add(rows, table, rs.rows.filter((r) => keep?.(r) ?? true).length);
    add(bytes, table, rowValueBytes(rs, keep));
  };
  const ofRun = (r: types.Row) => String(r.get('run_id')) === runId;
  await take('runs', `SELECT * FROM ${ks}.runs WHERE run_id = ?`, [runId]);
  await take('runs_by_month', `SELECT * FROM ${ks}.runs_by_month`, [], ofRun);
  await take('run_launches', `SELECT * FROM ${ks}.run_launches WHERE run_id = ?`, [runId]);
  for (const hostname of hostnames) {
    await take('operation_results', `SELECT * FROM ${ks}.operation_results WHERE run_id = ? AND hostname = ?`, [runId, hostname]);
    const line = (await cassandra.execute(`SELECT status FROM ${ks}.run_hosts WHERE run_id = ? AND hostname = ?`, [runId, hostname], { prepare: true })).first();
    await take('run_hosts', `SELECT * FROM ${ks}.run_hosts WHERE run_id = ? AND hostname = ?`, [runId, hostname]);
    if (line) await take('run_hosts_by_status', `SELECT * FROM ${ks}.run_hosts_by_status WHERE run_id = ? AND status = ? AND hostname = ?`, [runId, line.get('status'), hostname]);
    await take('host_runs', `SELECT * FROM ${ks}.host_runs WHERE hostname = ? AND run_id = ?`, [hostname, runId]);
    await take('host_drift', `SELECT * FROM ${ks}.host_drift WHERE hostname = ?`, [hostname], ofRun);
    await take('host_drift_history', `SELECT * FROM ${ks}.host_drift_history WHERE hostname = ?`, [hostname], ofRun);
  }
  return { rows, bytes };
}

/** Cassandra's write counts once they stop moving (the last group's progress row may land after `finished`). */
async function settledCounts(cassandra: Client, ks: string): Promise<WriteCounts> {
  let last = await readWriteCounts(cassandra, ks);
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await readWriteCounts(cassandra, ks);
    if (sameCounts(last, now)) return now;
    last = now;
  }
}

async function runOnce(system: BenchSystem, hostnames: readonly string[], check: boolean): Promise<RunCost> {
  const before = await settledCounts(system.cassandra, system.keyspace);
  const outcome = await system.enqueue(['--local', '--hosts', hostnames.join(','), ...(check ? ['--check'] : [])]);
  if (outcome.code !== 0 || outcome.runId === undefined) throw new Error(`enqueue failed (${outcome.code}): ${outcome.output.slice(-2000)}`);
  const row = await system.waitRunFinished(outcome.runId, 120_000);
  if (row.counts.ok !== hostnames.length * operationsUnder('/x').length) {
    throw new Error(`run ${outcome.runId} was not a run with nothing to change: ${JSON.stringify(row.counts)}`);
  }
  const writes = writeCountDelta(before, await settledCounts(system.cassandra, system.keyspace));
  const { rows, bytes } = await rowsOfRun(system.cassandra, system.keyspace, outcome.runId, hostnames);
  // The runs row is written more than once: its insert, then one progress update per group of
  // results the consumer wrote. The row read back counts once; each update carries the run id,
  // the counts, hosts_done, status and finished_at.
  const progress = await system.cassandra.execute(`SELECT run_id, ${PROGRESS_COLUMNS} FROM ${system.keyspace}.runs WHERE run_id = ?`, [outcome.runId], { prepare: true });
  add(bytes, 'runs', Math.max(0, (writes.local.get('runs') ?? 1) - 1) * rowValueBytes(progress));
  return { writes, rows, bytes };
}

/** Per-table means over runs, per host (per-run tables: per run too). */
interface TableLine {
  readonly table: string;
  readonly local: number;
  readonly coordinator: number;
  readonly rows: number;
  readonly bytes: number;
}

function meanLines(costs: readonly RunCost[], hosts: number): TableLine[] {
  const tables = new Set<string>();
  for (const c of costs) for (const m of [c.writes.local, c.writes.coordinator, c.rows]) for (const [t, n] of m) if (n !== 0) tables.add(t);
  const mean = (pick: (c: RunCost) => number) => costs.reduce((s, c) => s + pick(c), 0) / costs.length / hosts;
  return [...tables]
    .sort((a, b) => Number(PER_RUN_TABLES.has(a)) - Number(PER_RUN_TABLES.has(b)) || a.localeCompare(b))
    .map((table) => ({
      table,
      local: mean((c) => c.writes.local.get(table) ?? 0),
      coordinator: mean((c) => c.writes.coordinator.get(table) ?? 0),
      rows: mean((c) => c.rows.get(table) ?? 0),
      bytes: mean((c) => c.bytes.get(table) ?? 0),
    }));
}

function markdownTable(lines: readonly TableLine[], hosts: number): string[] {
  const f = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));
  const out = ['| table | writes per host (replica) | writes per host (coordinator) | rows per host | value bytes per host |', '|---|---:|---:|---:|---:|'];
  const sum = { local: 0, coordinator: 0, rows: 0, bytes: 0 };
  for (const l of lines) {
    const label = PER_RUN_TABLES.has(l.table) ? `${l.table} (per run ÷ ${hosts} hosts)` : l.table;
    out.push(`| ${label} | ${f(l.local)} | ${f(l.coordinator)} | ${f(l.rows)} | ${f(Math.round(l.bytes))} |`);
    sum.local += l.local;
    sum.coordinator += l.coordinator;
    sum.rows += l.rows;
    sum.bytes += l.bytes;
  }
  out.push(`| **total** | **${f(sum.local)}** | **${f(sum.coordinator)}** | **${f(sum.rows)}** | **${f(Math.round(sum.bytes))}** |`);
  return out;
}

async function main(): Promise<void> {
  const { flags } = parseCli(process.argv.slice(2), { hosts: { type: 'string' }, runs: { type: 'string' } }, z.object({ hosts: intFlag(1, 200).optional(), runs: intFlag(1, 50).optional() }));
  const hostCount = flags.hosts ?? 5;
  const runs = flags.runs ?? 5;
  const system = await createBenchSystem('driftcost');
  const root = `/tmp/simplecm-driftcost-${system.prefix.split('-').at(-1)}`;
  const hosts: Host[] = Array.from({ length: hostCount }, (_, i) => ({
    hostname: `dc-host${i + 1}`,
    address: hostAddress((i % STACK_HOSTS) + 1),
    port: 22,
    user: 'root',
    keyName: 'stack',
    groups: ['all'],
    vars: {},
    hostKeys: [],
    become: null,
  }));
  const hostnames = hosts.map((h) => h.hostname);
  try {
    await system.putDesiredState(hosts.map((host) => ({ host, operations: operationsUnder(`${root}/${host.hostname}`) })));
    await system.startWorkers(1, []);
    await system.startResults();
    // Converge once: every later run finds nothing to change.
    const converge = await system.enqueue(['--local', '--hosts', hostnames.join(',')]);
    if (converge.runId === undefined) throw new Error(`converging run did not start: ${converge.output.slice(-2000)}`);
    const converged = await system.waitRunFinished(converge.runId, 120_000);
    if (converged.counts.failed + converged.counts.unreachable > 0) throw new Error(`converging run failed: ${JSON.stringify(converged.counts)}`);
    const checks: RunCost[] = [];
    const applies: RunCost[] = [];
    for (let i = 0; i < runs; i++) {
      checks.push(await runOnce(system, hostnames, true));
      applies.push(await runOnce(system, hostnames, false));
      process.stderr.write(`run pair ${i + 1}/${runs} done\n`);
    }
    const checkLines = meanLines(checks, hostCount);
    const applyLines = meanLines(applies, hostCount);
    const drift = checkLines.find((l) => l.table === 'host_drift');
    const total = (ls: readonly TableLine[]) => ls.reduce((s, l) => ({ local: s.local + l.local, bytes: s.bytes + l.bytes }), { local: 0, bytes: 0 });
    const checkTotal = total(checkLines);
    const report = [
      `Measured ${new Date().toISOString().slice(0, 10)}: ${hostCount} hosts (the stack's hosts 1–${Math.min(hostCount, STACK_HOSTS)}), ${operationsUnder('/x').length} file operations each, ${runs} check and ${runs} apply runs with nothing to change (means per host per run), 1 worker, 1 results consumer.`,
      '',
      '**Check run (drift probe), nothing to change:**',
      '',
      ...markdownTable(checkLines, hostCount),
      '',
      '**Apply run, nothing to change:**',
      '',
      ...markdownTable(applyLines, hostCount),
      '',
      drift
        ? `The drift row alone (host_drift): ${drift.local.toFixed(2)} write and ${Math.round(drift.bytes)} value bytes per host per check run, ${((100 * drift.local) / checkTotal.local).toFixed(0)}% of the check run's writes and ${((100 * drift.bytes) / checkTotal.bytes).toFixed(0)}% of its value bytes.`
        : 'No host_drift write was seen.',
    ];
    const text = report.join('\n');
    console.log(text);
    const out = path.join(repoRoot, 'bench', 'results', 'check-run-cost.md');
    fs.writeFileSync(out, `# What a drift probe costs in Cassandra\n\n\`npx tsx bench/check-run-cost.ts --hosts ${hostCount} --runs ${runs}\`\n\n${text}\n`);
    // Leaves the hosts as they were: one apply run removes this script's directories.
    await system.putDesiredState(hosts.map((host) => ({ host, operations: [{ seq: 0, name: 'clean up', module: 'command', attributes: { command: `rm -rf ${root}/${host.hostname}; rmdir ${root} 2>/dev/null || true` }, become: null }] })));
    const cleanup = await system.enqueue(['--local', '--hosts', hostnames.join(',')]);
    if (cleanup.runId !== undefined) await system.waitRunFinished(cleanup.runId, 120_000);
  } finally {
    await system.close();
  }
}

runMain('check-run-cost', main);
