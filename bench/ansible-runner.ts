/**
 * Ansible on the same hosts and the same scripts: one `shell` task per script (bash, the module
 * contract's environment set on the play), facts off, pipelining on, forks 50, the stack's
 * client key, host keys checked against a known_hosts file (StrictHostKeyChecking=yes). The
 * playbook is written as JSON (YAML's subset), each script inside `{% raw %}` so Jinja leaves
 * bash's `${#x}` and `{{` alone. Run under /usr/bin/time for the CPU and peak memory of the
 * controller and every process it waited for.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { runTimed, timeAvailable } from './timed-command';

export interface AnsibleHost {
  readonly hostname: string;
  readonly address: string;
  readonly port: number;
}

export interface AnsibleOptions {
  readonly dir: string;
  readonly keyFile: string;
  readonly knownHosts: string;
  readonly forks: number;
  /** `free` lets each host run ahead (Ansible's faster strategy); `linear` is its default. */
  readonly strategy: 'free' | 'linear';
}

export interface AnsibleRun {
  readonly wallMs: number;
  /** User + system CPU of ansible-playbook and all the processes it waited for. */
  readonly cpuSeconds: number;
  /** Largest peak RSS of any single one of those processes. */
  readonly maxRssMb: number;
  readonly ok: number;
  readonly changed: number;
  readonly failed: number;
  readonly unreachable: number;
  readonly log: string;
}

export function ansibleAvailable(): boolean {
  return fs.existsSync('/usr/bin/ansible-playbook') && timeAvailable();
}

function writeFiles(hosts: readonly AnsibleHost[], scripts: readonly string[], o: AnsibleOptions): { config: string; inventory: string; playbook: string } {
  fs.mkdirSync(o.dir, { recursive: true });
  const cp = path.join(o.dir, 'cp');
  fs.mkdirSync(cp, { recursive: true });
  const inventory = path.join(o.dir, 'inventory.ini');
  fs.writeFileSync(
    inventory,
    [
      '[bench]',
      ...hosts.map((h) => `${h.hostname} ansible_host=${h.address} ansible_port=${h.port}`),
      '[bench:vars]',
      'ansible_user=root',
      `ansible_ssh_private_key_file=${o.keyFile}`,
      'ansible_python_interpreter=/usr/bin/python3',
      '',
    ].join('\n'),
  );
  const playbook = path.join(o.dir, 'playbook.json');
  const play = {
    hosts: 'bench',
    gather_facts: false,
    strategy: o.strategy,
    environment: { SIMPLECM_CHECK: '0', SIMPLECM_CHANGES: '/tmp/.simplecm-ansible-changes' },
    tasks: scripts.map((script, i) => ({
      name: `operation ${i}`,
      shell: { cmd: `{% raw %}${script}{% endraw %}`, executable: '/bin/bash' },
    })),
  };
  if (scripts.some((s) => s.includes('{% endraw %}'))) throw new Error('a script contains {% endraw %}');
  fs.writeFileSync(playbook, JSON.stringify([play], null, 1));
  const config = path.join(o.dir, 'ansible.cfg');
  fs.writeFileSync(
    config,
    [
      '[defaults]',
      `forks = ${o.forks}`,
      'host_key_checking = True',
      'gathering = explicit',
      'retry_files_enabled = False',
      'deprecation_warnings = False',
      `local_tmp = ${path.join(o.dir, 'tmp')}`,
      '[ssh_connection]',
      'pipelining = True',
      `control_path_dir = ${cp}`,
      // Ansible's default ssh_args plus the stack's known_hosts, checked strictly.
      `ssh_args = -C -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${o.knownHosts} -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes`,
      '',
    ].join('\n'),
  );
  return { config, inventory, playbook };
}

/** Ends the ControlPersist masters of a run, so the next run pays for its connections too. */
async function closeMasters(dir: string): Promise<void> {
  const cp = path.join(dir, 'cp');
  const sockets = fs.existsSync(cp) ? fs.readdirSync(cp) : [];
  await Promise.all(
    sockets.map(
      (s) =>
        new Promise<void>((resolve) => {
          const child = spawn('ssh', ['-o', `ControlPath=${path.join(cp, s)}`, '-O', 'exit', 'bench'], { stdio: 'ignore' });
          child.once('exit', () => resolve());
          child.once('error', () => resolve());
        }),
    ),
  );
  for (const s of sockets) fs.rmSync(path.join(cp, s), { force: true });
}

export async function runAnsible(hosts: readonly AnsibleHost[], scripts: readonly string[], o: AnsibleOptions): Promise<AnsibleRun> {
  await closeMasters(o.dir);
  const files = writeFiles(hosts, scripts, o);
  const run = await runTimed('ansible-playbook', ['-i', files.inventory, files.playbook], {
    dir: o.dir,
    env: { ...process.env, ANSIBLE_CONFIG: files.config, ANSIBLE_NOCOLOR: '1', ANSIBLE_HOST_KEY_CHECKING: 'True' },
  });
  await closeMasters(o.dir);
  const log = run.stdout + run.stderr;
  fs.writeFileSync(path.join(o.dir, 'last-run.log'), log);
  const recap = { ok: 0, changed: 0, failed: 0, unreachable: 0 };
  for (const m of log.matchAll(/ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/g)) {
    recap.ok += Number(m[1]);
    recap.changed += Number(m[2]);
    recap.unreachable += Number(m[3]);
    recap.failed += Number(m[4]);
  }
  if (run.code !== 0 && recap.failed + recap.unreachable === 0) throw new Error(`ansible-playbook exited ${run.code}: ${log.slice(-3000)}`);
  return { wallMs: run.wallMs, cpuSeconds: run.cpuSeconds, maxRssMb: run.maxRssMb, ...recap, log };
}
