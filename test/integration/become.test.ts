import { resultStore } from '@simplecm/store';
import { resetHost } from '@simplecm/stack';
import { createTestSystem, onHost, putDesiredState, stackHost, type TestSystem } from '../support/system';

// A host reached as an unprivileged user: operations that need root run through `sudo -n`.
describe('privilege escalation', () => {
  let system: TestSystem;
  beforeAll(async () => {
    await resetHost(4);
    const setup = await onHost(
      4,
      [
        // A locked password ("!") would make sshd (UsePAM no) refuse the account: "*" is no password, not locked.
        "useradd -m -s /bin/bash -p '*' deploy",
        'mkdir -p ~deploy/.ssh && cp /root/.ssh/authorized_keys ~deploy/.ssh/ && chown -R deploy: ~deploy/.ssh',
        'echo "deploy ALL=(ALL) NOPASSWD: ALL" > /etc/sudoers.d/deploy && chmod 440 /etc/sudoers.d/deploy',
        ': > ~deploy/.bashrc',
      ].join(' && '),
    );
    expect(setup.code).toBe(0);
    system = await createTestSystem('become');
    system.startWorkers(1);
    system.startResults();
  });
  afterAll(async () => {
    await system?.close();
    await resetHost(4);
  });

  it('runs as the SSH user by default, so writing under /etc is refused', async () => {
    await putDesiredState(system, [{ host: stackHost(4, { user: 'deploy' }), operations: [{ seq: 0, name: 'etc file', module: 'file_exists', attributes: { path: '/etc/simplecm-become' } }] }]);
    const { code, runId } = await system.enqueue(['--hosts', 'host4', '--wait']);
    expect(code).toBe(1);
    const [op] = await resultStore(system.cassandra, system.keyspace).getOperationResults(runId!, 'host4');
    expect(op!.status).toBe('failed');
    expect(op!.stderr).toMatch(/Permission denied/);
  });

  it('runs every operation as root when the host says become root', async () => {
    await putDesiredState(system, [
      {
        host: stackHost(4, { user: 'deploy', become: 'root' }),
        operations: [
          { seq: 0, name: 'etc file', module: 'file_exists', attributes: { path: '/etc/simplecm-become' } },
          { seq: 1, name: 'whoami', module: 'command', attributes: { command: 'id -un > /root/simplecm-whoami' } },
        ],
      },
    ]);
    const { code } = await system.enqueue(['--hosts', 'host4', '--wait']);
    expect(code).toBe(0);
    expect((await onHost(4, 'stat -c %U /etc/simplecm-become; cat /root/simplecm-whoami')).stdout).toBe('root\nroot\n');
  });

  it('lets one operation become another user than the host default', async () => {
    await putDesiredState(system, [
      {
        host: stackHost(4, { user: 'deploy', become: 'root' }),
        operations: [{ seq: 0, name: 'as nobody', module: 'command', attributes: { command: 'id -un > /tmp/simplecm-as' }, become: 'nobody' }],
      },
    ]);
    const { code } = await system.enqueue(['--hosts', 'host4', '--wait']);
    expect(code).toBe(0);
    expect((await onHost(4, 'cat /tmp/simplecm-as; stat -c %U /tmp/simplecm-as')).stdout).toBe('nobody\nnobody\n');
  });
});
