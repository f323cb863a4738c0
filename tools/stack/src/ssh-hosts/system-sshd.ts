import fs from 'node:fs';
import { isAlive, waitFor } from '../process-control';
import { StackError } from '../stack-error';
import { run, which } from '../system-commands';
import { describePid } from './proc-files';
import { socketOwner, tcp6WildcardListener, tcpListeners } from './socket-forensics';
import { HOST_PORT } from './stack-host';

/**
 * A wildcard listener on :22 (the usual system sshd) makes our binds fail. Stops it
 * when it is Debian's `ssh` service; refuses with instructions otherwise.
 */
export async function clearWildcardPort22(log: (line: string) => void): Promise<void> {
  const v4 = tcpListeners(HOST_PORT).get('0.0.0.0');
  // [::]:22 blocks us only without IPV6_V6ONLY, which /proc does not show: act on it
  // only when it is the system sshd (sshd sets V6ONLY, but it holds 0.0.0.0:22 too).
  const inode = v4 ?? tcp6WildcardListener(HOST_PORT);
  if (inode === undefined) return;
  const pid = socketOwner(inode);
  let exe: string | undefined;
  try {
    exe = pid === undefined ? undefined : fs.readlinkSync(`/proc/${pid}/exe`);
  } catch {
    exe = undefined;
  }
  let servicePid: number | undefined;
  try {
    servicePid = Number(fs.readFileSync('/run/sshd.pid', 'utf8').trim());
  } catch {
    servicePid = undefined;
  }
  // Debian's service runs /usr/sbin/sshd with the default PidFile /run/sshd.pid.
  const isDebianService = exe === '/usr/sbin/sshd' && pid !== undefined && pid === servicePid;
  const what = `${describePid(pid)} listens on *:${HOST_PORT}, so the test hosts cannot listen on 127.10.x.y:${HOST_PORT}`;
  if (!isDebianService) {
    if (v4 === undefined) return;
    throw new StackError(`${what}: stop it (see 'ss -ltnp sport = :${HOST_PORT}') and run 'stack up' again`);
  }
  if (process.env.SIMPLECM_KEEP_SYSTEM_SSHD === '1') {
    throw new StackError(
      `${what}: it is the system ssh service; stop it ('systemctl stop ssh' or 'service ssh stop') or unset SIMPLECM_KEEP_SYSTEM_SSHD to let the stack do that`,
    );
  }
  log(
    `hosts: stopping the system ssh service (${describePid(pid)} on *:${HOST_PORT} blocks the test hosts); ` +
      `open sessions stay; start it again with 'systemctl start ssh' or 'service ssh start' after 'stack down'; ` +
      `SIMPLECM_KEEP_SYSTEM_SSHD=1 refuses instead`,
  );
  const systemctl = fs.existsSync('/run/systemd/system') ? which('systemctl') : undefined;
  if (systemctl) {
    // Socket activation, when enabled, would start sshd again on the next connection.
    for (const unit of ['ssh.socket', 'ssh.service']) {
      try {
        run(systemctl, ['stop', unit]);
      } catch {
        /* unit not loaded */
      }
    }
  }
  // Without systemd, this is what /etc/init.d/ssh stop does. Only the listener dies.
  if (isAlive(pid)) process.kill(pid, 'SIGTERM');
  await waitFor(`the system sshd to release *:${HOST_PORT}`, () => !tcpListeners(HOST_PORT).has('0.0.0.0') && !tcp6WildcardListener(HOST_PORT), {
    timeoutMs: 10_000,
    intervalMs: 100,
  });
}
