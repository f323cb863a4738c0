/**
 * The lean bound: what a person who knows the shell does by hand for the same ten operations.
 * OpenSSH's client, one connection per host (`KexAlgorithms=curve25519-sha256`, the key
 * exchange ssh2 uses; OpenSSH 9.2's default post-quantum hybrid costs several times the client
 * CPU), BatchMode, host keys checked strictly against the stack's known_hosts, the stack's
 * client key, no ControlMaster; the command is one short bash script written for these
 * operations (no module prelude, no per-operation subshell, no result frames), and `xargs -P
 * <hosts>` runs every host at once. The script prints `<failed> <changed>` once per host.
 * Run under /usr/bin/time like Ansible, so the client side's CPU and memory are comparable.
 */
import type { Operation } from '@simplecm/domain';
import { shellQuote } from './raw-script';
import { runTimed } from './timed-command';

export interface LeanTarget {
  readonly address: string;
  readonly port: number;
  readonly user: string;
}

export interface LeanOptions {
  readonly dir: string;
  readonly keyFile: string;
  readonly knownHosts: string;
}

export interface LeanRun {
  readonly wallMs: number;
  readonly cpuSeconds: number;
  readonly maxRssMb: number;
  /** Hosts that answered with their line. */
  readonly hosts: number;
  readonly changed: number;
  readonly failed: number;
  readonly log: string;
}

/** A mode as `stat -c %a` prints it (`0755` → `755`). */
function statMode(mode: unknown): string {
  return typeof mode === 'string' ? mode.replace(/^0+(?=\d{3})/, '') : '';
}

function sedEscape(line: string): string {
  return line.replace(/[\][\\/.*^$]/g, '\\$&');
}

/**
 * The script for these operations. Each module of the workload becomes one call of a shell
 * function of a few lines; the modes of what exists are read with one `stat` at the start.
 */
export function leanScript(operations: readonly Operation[]): string {
  const a = (op: Operation, key: string) => op.attributes[key];
  const withModes = operations.filter((op) => statMode(a(op, 'mode')) !== '').map((op) => shellQuote(String(a(op, 'path'))));
  const calls = operations.map((op) => {
    const p = shellQuote(String(a(op, 'path')));
    const mode = shellQuote(statMode(a(op, 'mode')));
    switch (op.module) {
      case 'directory':
        return `d ${p} ${mode}`;
      case 'file_exists':
        return `e ${p} ${mode}`;
      case 'file_content':
        return `c ${p} ${mode} ${shellQuote(String(a(op, 'content')))}`;
      case 'file_contains':
        return `l ${p} ${shellQuote(String(a(op, 'text')))}`;
      case 'line_absent':
        return `x ${p} ${shellQuote(String(a(op, 'line')))} ${shellQuote(`/^${sedEscape(String(a(op, 'line')))}$/d`)}`;
      default:
        throw new Error(`lean bound: no shell for module ${op.module}`);
    }
  });
  return [
    'umask 022; n=0 f=0; declare -A m',
    `while read -r a p; do m[$p]=$a; done < <(stat -c '%a %n' -- ${withModes.join(' ')} 2>/dev/null)`,
    // mode: wanted mode, if any, set when it differs (a new file has 644 from the umask)
    'md() { [ -z "$2" ] || [ "${m[$1]-$3}" = "$2" ] || chmod "$2" -- "$1"; }',
    'd() { if [ ! -d "$1" ]; then mkdir -p ${2:+-m "$2"} -- "$1" && n=$((n+1)); elif [ -n "$2" ] && [ "${m[$1]-}" != "$2" ]; then chmod "$2" -- "$1" && n=$((n+1)); fi; }',
    'e() { if [ ! -e "$1" ]; then : > "$1" && md "$1" "$2" 644 && n=$((n+1)); elif [ -n "$2" ] && [ "${m[$1]-}" != "$2" ]; then chmod "$2" -- "$1" && n=$((n+1)); fi; }',
    'c() { if printf %s "$3" | cmp -s -- - "$1"; then if [ -n "$2" ] && [ "${m[$1]-}" != "$2" ]; then chmod "$2" -- "$1" && n=$((n+1)); fi; else printf %s "$3" > "$1" && md "$1" "$2" 644 && n=$((n+1)); fi; }',
    'l() { grep -qxF -- "$2" "$1" 2>/dev/null || { printf "%s\\n" "$2" >> "$1" && n=$((n+1)); }; }',
    'x() { if grep -qxF -- "$2" "$1" 2>/dev/null; then sed -i -e "$3" -- "$1" && n=$((n+1)); fi; }',
    ...calls.map((c) => `${c} || f=$((f+1))`),
    'echo "$f $n"',
    '',
  ].join('\n');
}

export function sshArgs(o: LeanOptions): string[] {
  return [
    '-T',
    '-o', 'BatchMode=yes',
    '-o', 'KexAlgorithms=curve25519-sha256',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${o.knownHosts}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'IdentitiesOnly=yes',
    '-o', 'ControlMaster=no',
    '-o', 'LogLevel=ERROR',
    '-i', o.keyFile,
  ];
}

/** Every host at once: `xargs -P <hosts>` starts one `ssh` per address with the script as its command. */
export async function runLean(targets: readonly LeanTarget[], operations: readonly Operation[], o: LeanOptions): Promise<LeanRun> {
  const users = new Set(targets.map((t) => `${t.user}:${t.port}`));
  if (users.size !== 1) throw new Error('lean bound: every host must have the same user and port');
  const { user, port } = targets[0]!;
  const script = leanScript(operations);
  // -I substitutes the address (the script never contains the marker); a line per host on stdin.
  const run = await runTimed('xargs', ['-P', String(targets.length), '-I', '@ADDR@', 'ssh', ...sshArgs(o), '-p', String(port), '-l', user, '@ADDR@', script], {
    dir: o.dir,
    input: `${targets.map((t) => t.address).join('\n')}\n`,
  });
  let hosts = 0;
  let changed = 0;
  let failed = 0;
  for (const line of run.stdout.split('\n')) {
    const m = /^(\d+) (\d+)$/.exec(line.trim());
    if (!m) continue;
    hosts++;
    failed += Number(m[1]);
    changed += Number(m[2]);
  }
  const log = `${run.stdout}${run.stderr}`;
  if (run.code !== 0 && hosts === targets.length && failed === 0) throw new Error(`xargs exited ${run.code}: ${log.slice(-2000)}`);
  return { wallMs: run.wallMs, cpuSeconds: run.cpuSeconds, maxRssMb: run.maxRssMb, hosts, changed, failed, log };
}
