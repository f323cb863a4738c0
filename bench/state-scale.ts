/**
 * `npx tsx bench/state-scale.ts [--hosts N] [--ops N] [--keep]`: the desired-state commands at
 * fleet scale (issue 13): `state validate` of N hosts × ops operations offline, `state apply`
 * of it into a keyspace of its own on the local stack's Cassandra, then `state diff` and `state
 * apply` with 1% of the hosts changed; and `ansible-inventory --list` on the same inventory as
 * Ansible INI, when Ansible is installed. Each command runs as an operator runs it (the
 * launcher's bundle) under /usr/bin/time for wall time and peak RSS. Targets: validate < 10 s,
 * apply < 60 s at < 500 MB, diff < 30 s. Not a test: it prints a table.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { connectionConfigFromEnv } from '@simplecm/config';
import { errorMessage } from '@simplecm/kernel';
import { connectCassandra } from '@simplecm/store';
import { appLauncher, stackEnv } from '@simplecm/stack';

interface Measure {
  readonly step: string;
  readonly seconds: number;
  readonly peakMb: number | null;
  readonly output: string;
}

const hasTime = fs.existsSync('/usr/bin/time');

/** Runs a command, timed by /usr/bin/time when there is one (else wall time alone). */
function measure(step: string, command: string, args: string[], env: NodeJS.ProcessEnv, okCodes = [0]): Measure {
  const timeFile = path.join(os.tmpdir(), `state-scale-${randomUUID()}.time`);
  const t0 = process.hrtime.bigint();
  const run = hasTime
    ? spawnSync('/usr/bin/time', ['-o', timeFile, '-f', '%e %M', command, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 30 })
    : spawnSync(command, args, { env, encoding: 'utf8', maxBuffer: 1 << 30 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (run.status === null || !okCodes.includes(run.status)) throw new Error(`${step}: exit ${run.status}: ${run.stderr.slice(-2000)}`);
  let seconds = wall;
  let peakMb: number | null = null;
  if (hasTime) {
    const [elapsed, kb] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ');
    seconds = Number(elapsed);
    peakMb = Math.round(Number(kb) / 1024);
    fs.rmSync(timeFile, { force: true });
  }
  return { step, seconds, peakMb, output: `${run.stdout}${run.stderr}`.trim().split('\n').filter((l) => /^(valid|hosts:|no changes)/.test(l)).join(' ') };
}

/** A state directory of `hosts` hosts in 10 groups, each with one role of `ops` operations using vars and a template. */
function writeScaleState(dir: string, hosts: number, ops: number): void {
  fs.mkdirSync(path.join(dir, 'roles'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'templates'), { recursive: true });
  const lines = ['defaults: { key: fleet }', 'hosts:'];
  for (let i = 0; i < hosts; i++) lines.push(`  h${String(i).padStart(6, '0')}: { address: 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}, groups: [g${i % 10}], vars: { idx: "${i}" } }`);
  lines.push('groups:', ...Array.from({ length: 10 }, (_, g) => `  g${g}: { vars: { port: "80${g}" } }`));
  fs.writeFileSync(path.join(dir, 'inventory.yaml'), `${lines.join('\n')}\n`);
  const role = Array.from({ length: ops - 1 }, (_, k) => `- name: op${k}\n  module: file_contains\n  attributes: { path: /etc/app${k}.conf, text: "port={{ vars.port }} idx={{ vars.idx }}" }\n`);
  role.push('- name: conf\n  module: file_content\n  attributes: { path: /etc/app.conf, template: templates/app.conf }\n');
  fs.writeFileSync(path.join(dir, 'roles', 'app.yaml'), role.join('\n'));
  fs.writeFileSync(path.join(dir, 'templates', 'app.conf'), 'listen {{ vars.port }};\nserver_name {{ vars.hostname }};\n'.repeat(10));
  fs.writeFileSync(path.join(dir, 'site.yaml'), '- hosts: all\n  roles: [app]\n');
  // The same fleet as an Ansible INI inventory, for ansible-inventory.
  const ini: string[] = [];
  for (let g = 0; g < 10; g++) {
    ini.push(`[g${g}]`);
    for (let i = g; i < hosts; i += 10) ini.push(`h${String(i).padStart(6, '0')} ansible_host=10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255} idx=${i}`);
    ini.push(`[g${g}:vars]`, `port=80${g}`, '');
  }
  fs.writeFileSync(path.join(dir, 'ansible-hosts.ini'), ini.join('\n'));
}

/** Changes the vars of 1% of the hosts (every 100th). */
function changeOnePercent(dir: string): void {
  const file = path.join(dir, 'inventory.yaml');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/idx: "(\d*00)"/g, 'idx: "changed-$1"'));
}

async function dropKeyspace(env: NodeJS.ProcessEnv, keyspace: string): Promise<void> {
  const client = await connectCassandra(connectionConfigFromEnv(env).cassandra);
  try {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  } finally {
    await client.shutdown();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { hosts: { type: 'string', default: '10000' }, ops: { type: 'string', default: '10' }, keep: { type: 'boolean', default: false } } });
  const hosts = Number(values.hosts);
  const ops = Number(values.ops);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simplecm-state-scale-'));
  const keyspace = `bench_state_${randomUUID().replace(/-/g, '').slice(0, 8)}`;
  const env = { ...process.env, ...stackEnv(keyspace) };
  const launcher = appLauncher;
  const state = (...args: string[]) => [launcher, 'state', ...args];
  execFileSync(process.execPath, [launcher, '--build'], { stdio: 'ignore' });
  writeScaleState(dir, hosts, ops);
  const rows: Measure[] = [];
  try {
    rows.push(measure(`validate (${hosts} hosts × ${ops})`, process.execPath, state('validate', dir), env));
    rows.push(measure('apply (all new)', process.execPath, state('apply', dir), env));
    changeOnePercent(dir);
    rows.push(measure('diff (1% of hosts changed)', process.execPath, state('diff', dir), env, [1]));
    rows.push(measure('apply (1% of hosts changed)', process.execPath, state('apply', dir), env));
    rows.push(measure('diff (nothing changed)', process.execPath, state('diff', dir), env));
    const ansible = spawnSync('ansible-inventory', ['--version'], { encoding: 'utf8' });
    if (ansible.status === 0) rows.push(measure('ansible-inventory --list (same inventory)', 'ansible-inventory', ['-i', path.join(dir, 'ansible-hosts.ini'), '--list'], env));
    else rows.push({ step: 'ansible-inventory --list', seconds: NaN, peakMb: null, output: 'not installed' });
  } finally {
    if (!values.keep) fs.rmSync(dir, { recursive: true, force: true });
    await dropKeyspace(env, keyspace).catch((error: unknown) => console.error(`state-scale: keyspace ${keyspace} left behind: ${errorMessage(error)}`));
  }
  console.log('| step | wall time | peak RSS | result |\n|---|---:|---:|---|');
  for (const r of rows) console.log(`| ${r.step} | ${Number.isNaN(r.seconds) ? '-' : `${r.seconds.toFixed(2)} s`} | ${r.peakMb === null ? '-' : `${r.peakMb} MB`} | ${r.output} |`);
}

main().catch((error: unknown) => {
  console.error(`state-scale: ${errorMessage(error).split('\n')[0]}`);
  process.exit(1);
});
