/**
 * pyinfra as a peer of Ansible: from PyPI, pinned, in a venv of its own under .bench (made on
 * first use, pip's progress shown), running bench/pyinfra/deploy.py — the same ten operations
 * with pyinfra's own file operations — on every host at once (`--parallel` = host count,
 * `--no-wait` so a host need not wait for the others between operations, as Ansible's `free`
 * strategy), with the stack's client key and host keys checked strictly against the stack's
 * known_hosts. Run under /usr/bin/time like Ansible.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { Operation } from '@simplecm/domain';
import { ensureDebianPackages } from '@simplecm/stack';
import { runTimed, timeAvailable } from './timed-command';

export const PYINFRA_VERSION = '3.10.0';

export interface PyinfraHost {
  readonly hostname: string;
  readonly address: string;
  readonly port: number;
  readonly user: string;
}

export interface PyinfraOptions {
  /** Where the inventory, the operations and the log of a run go. */
  readonly dir: string;
  readonly keyFile: string;
  readonly knownHosts: string;
}

export interface PyinfraRun {
  readonly wallMs: number;
  readonly cpuSeconds: number;
  readonly maxRssMb: number;
  /** Host × operation pairs in pyinfra's results. */
  readonly operations: number;
  readonly changed: number;
  readonly noChange: number;
  readonly errors: number;
  readonly log: string;
}

const deployFile = path.join(__dirname, 'pyinfra', 'deploy.py');

function venvDir(benchDir: string): string {
  return path.join(benchDir, `pyinfra-${PYINFRA_VERSION}`);
}

function run(command: string, args: readonly string[], log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail: string[] = [];
    const onLine = (line: string) => {
      tail = [...tail.slice(-19), line];
      if (line.trim()) log(`  ${line.trim()}`);
    };
    readline.createInterface({ input: child.stdout }).on('line', onLine);
    readline.createInterface({ input: child.stderr }).on('line', onLine);
    child.once('error', (e) => reject(new Error(`${command}: ${e.message}`)));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${tail.join('\n')}`))));
  });
}

/**
 * The pyinfra executable, installed on first use: `python3 -m venv`, then `pip install
 * pyinfra==<pinned>`. A venv that was made but not finished is made again.
 */
export async function ensurePyinfra(benchDir: string, log: (line: string) => void): Promise<string> {
  const dir = venvDir(benchDir);
  const exe = path.join(dir, 'bin', 'pyinfra');
  const done = path.join(dir, '.installed');
  if (fs.existsSync(done) && fs.existsSync(exe)) return exe;
  if (!timeAvailable()) throw new Error('/usr/bin/time is missing (apt-get install -y time)');
  fs.rmSync(dir, { recursive: true, force: true });
  log(`pyinfra: installing pyinfra ${PYINFRA_VERSION} from PyPI into ${path.relative(process.cwd(), dir)} (once)`);
  try {
    await run('python3', ['-m', 'venv', dir], log);
  } catch (error) {
    // Debian's python3 leaves venv's ensurepip to python3-venv: as root, install it and try once more.
    if (!fs.existsSync('/usr/bin/apt-get') || process.getuid?.() !== 0) {
      throw new Error(`python3 -m venv failed (on Debian: apt-get install -y python3-venv): ${error instanceof Error ? error.message : String(error)}`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    const version = spawnSync('python3', ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' }).stdout.trim();
    ensureDebianPackages([{ name: 'python3-venv', probe: `/usr/lib/python${version}/ensurepip` }], log);
    await run('python3', ['-m', 'venv', dir], log);
  }
  await run(path.join(dir, 'bin', 'pip'), ['install', '--disable-pip-version-check', '--progress-bar', 'off', `pyinfra==${PYINFRA_VERSION}`], log);
  fs.writeFileSync(done, `pyinfra ${PYINFRA_VERSION}\n`);
  log(`pyinfra: ${PYINFRA_VERSION} installed`);
  return exe;
}

function pyString(text: string): string {
  return JSON.stringify(text);
}

function writeInventory(hosts: readonly PyinfraHost[], o: PyinfraOptions): string {
  const file = path.join(o.dir, 'inventory.py');
  const data = (h: PyinfraHost) =>
    `{"ssh_hostname": ${pyString(h.address)}, "ssh_port": ${h.port}, "ssh_user": ${pyString(h.user)}, "ssh_key": ${pyString(o.keyFile)}, ` +
    `"ssh_known_hosts_file": ${pyString(o.knownHosts)}, "ssh_strict_host_key_checking": "yes", "ssh_allow_agent": False, "ssh_look_for_keys": False}`;
  fs.writeFileSync(file, ['bench = [', ...hosts.map((h) => `    (${pyString(h.hostname)}, ${data(h)}),`), ']', ''].join('\n'));
  return file;
}

/**
 * The `Grand total` row of pyinfra's results table (`--> Results:`: per operation, hosts,
 * success — pyinfra's word for changed —, error, no change; `-` for none).
 */
export function parsePyinfraResults(output: string): { operations: number; changed: number; errors: number; noChange: number } {
  const m = /^\s*Grand total\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$/m.exec(output.slice(Math.max(0, output.lastIndexOf('Results:'))));
  const n = (x: string | undefined) => (x === undefined || x === '-' ? 0 : Number(x));
  return m ? { operations: n(m[1]), changed: n(m[2]), errors: n(m[3]), noChange: n(m[4]) } : { operations: 0, changed: 0, errors: 0, noChange: 0 };
}

export async function runPyinfra(exe: string, hosts: readonly PyinfraHost[], operations: readonly Operation[], o: PyinfraOptions): Promise<PyinfraRun> {
  fs.mkdirSync(o.dir, { recursive: true });
  const inventory = writeInventory(hosts, o);
  const opsFile = path.join(o.dir, 'operations.json');
  fs.writeFileSync(opsFile, JSON.stringify(operations));
  const result = await runTimed(exe, ['-y', '--no-wait', '--parallel', String(hosts.length), inventory, deployFile], {
    dir: o.dir,
    env: { ...process.env, SIMPLECM_BENCH_OPERATIONS: opsFile, NO_COLOR: '1', TERM: 'dumb', COLUMNS: '200' },
  });
  const log = `${result.stdout}${result.stderr}`;
  fs.writeFileSync(path.join(o.dir, 'last-run.log'), log);
  const sums = parsePyinfraResults(log);
  if (result.code !== 0 && sums.errors === 0) throw new Error(`pyinfra exited ${result.code}: ${log.slice(-3000)}`);
  return { wallMs: result.wallMs, cpuSeconds: result.cpuSeconds, maxRssMb: result.maxRssMb, operations: sums.operations, changed: sums.changed, noChange: sums.noChange, errors: sums.errors, log };
}
