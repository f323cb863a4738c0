import { spawnSync } from 'node:child_process';
import { HOST_PORT, hostAddress, hostName } from './stack-host';

const SSHD_LOG_LEVEL = process.env.SIMPLECM_HOST_SSHD_LOGLEVEL ?? 'ERROR';

let sshdVersion: [number, number] | undefined;
function opensshVersion(sshd: string): [number, number] {
  if (!sshdVersion) {
    // `sshd -V` exits non-zero on older releases; the version is in stderr either way.
    const r = spawnSync(sshd, ['-V'], { encoding: 'utf8' });
    const m = /OpenSSH_(\d+)\.(\d+)/.exec(`${r.stderr}${r.stdout}`);
    sshdVersion = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  }
  return sshdVersion;
}

export function sshdConfig(n: number, sshd: string): string {
  const [major, minor] = opensshVersion(sshd);
  const lines = [
    `# Written by SimpleCM's stack (tools/stack/src/ssh-hosts/sshd-config.ts) for test host ${hostName(n)}.`,
    `ListenAddress ${hostAddress(n)}:${HOST_PORT}`,
    'HostKey /etc/ssh/ssh_host_ed25519_key',
    'PidFile /run/sshd.pid',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'AuthorizedKeysFile .ssh/authorized_keys',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    'X11Forwarding no',
    // Workers and tests open many sessions at once, and connect to one host in parallel.
    'MaxSessions 64',
    'MaxStartups 500:30:1000',
    'LoginGraceTime 30',
    `LogLevel ${SSHD_LOG_LEVEL}`,
    'Subsystem sftp /usr/lib/openssh/sftp-server',
  ];
  // OpenSSH 9.8+ penalises sources with failed/aborted logins; tests do that on purpose.
  if (major > 9 || (major === 9 && minor >= 8)) lines.push('PerSourcePenalties no');
  return `${lines.join('\n')}\n`;
}
