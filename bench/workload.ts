/**
 * The bench workload: the same ten idempotent file operations on every host, under a base
 * directory named by a tag. A new tag means every operation has something to change (cold);
 * running the same tag again finds everything in place (warm).
 */
import type { Operation } from '@simplecm/domain';
import { MODULE_PRELUDE, renderOperation, validateOperation, type ModuleRegistry } from '@simplecm/modules';

export const OPERATIONS_PER_HOST = 10;
export const BENCH_ROOT = '/var/tmp/simplecm-bench';

const APP_CONF = ['# managed by the SimpleCM bench', 'listen = 0.0.0.0:8080', 'workers = 4', 'log_level = info', ''].join('\n');
const MOTD = `${'This host is managed by SimpleCM. Local changes to managed files are overwritten.\n'.repeat(4)}`;

/** The ten operations of a host, all under `${BENCH_ROOT}/<tag>`. */
export function benchOperations(tag: string): Operation[] {
  if (!/^[A-Za-z0-9_-]+$/.test(tag)) throw new Error(`bad workload tag "${tag}"`);
  const base = `${BENCH_ROOT}/${tag}`;
  const ops: Array<Omit<Operation, 'seq'>> = [
    { name: 'base directory', module: 'directory', attributes: { path: base, mode: '0755' } },
    { name: 'conf.d', module: 'directory', attributes: { path: `${base}/conf.d` } },
    { name: 'data directory', module: 'directory', attributes: { path: `${base}/data`, mode: '0750' } },
    { name: 'marker', module: 'file_exists', attributes: { path: `${base}/marker` } },
    { name: 'lock file', module: 'file_exists', attributes: { path: `${base}/data/lock`, mode: '0600' } },
    { name: 'app.conf', module: 'file_content', attributes: { path: `${base}/app.conf`, content: APP_CONF, mode: '0644' } },
    { name: 'conf.d/10-bench.conf', module: 'file_content', attributes: { path: `${base}/conf.d/10-bench.conf`, content: 'bench = true\n' } },
    { name: 'motd', module: 'file_content', attributes: { path: `${base}/motd`, content: MOTD, mode: '0644' } },
    { name: 'hosts.allow line', module: 'file_contains', attributes: { path: `${base}/hosts.allow`, text: 'sshd: 10.0.0.0/8' } },
    { name: 'no open access', module: 'line_absent', attributes: { path: `${base}/hosts.allow`, line: 'ALL: ALL' } },
  ];
  return ops.map((op, seq) => ({ ...op, seq, become: null }));
}

/** `count` light operations, as the capacity benches use them: `command true` (reports changed) and `file_exists` (ok), alternating. */
export function lightOperations(count: number): Operation[] {
  return Array.from({ length: count }, (_, seq): Operation =>
    seq % 2 === 0
      ? { seq, name: `step ${seq}`, module: 'command', attributes: { command: 'true' } }
      : { seq, name: `step ${seq}`, module: 'file_exists', attributes: { path: '/etc/hostname' } },
  );
}

/** One `sleep` operation: what the worker-footprint scenario holds 200 of at once. */
export function sleepOperations(seconds: number): Operation[] {
  return [{ seq: 0, name: `sleep ${seconds}`, module: 'sleep', attributes: { seconds }, become: null }];
}

/**
 * The scripts a worker sends for these operations (module prelude + rendered body, exactly as
 * `convergeHost` builds them): what the raw bound and Ansible run too.
 */
export function renderScripts(modules: ModuleRegistry, operations: readonly Operation[], hostname = 'bench'): string[] {
  return operations.map((op) => `${MODULE_PRELUDE}\n${renderOperation(modules, { ...op, attributes: validateOperation(modules, hostname, op) }, hostname)}`);
}
