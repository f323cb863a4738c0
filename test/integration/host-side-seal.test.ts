import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { shellQuote } from '@simplecm/kernel';
import { MODULE_PRELUDE } from '@simplecm/modules';
import { buildDriverScript, connectHost, forgetJournal, journalKey, hostKeyPolicy, loadKnownHosts, newFrameMarker, runDriver, type OperationFrame } from '@simplecm/ssh';
import { stackPaths } from '@simplecm/stack';
import { onHost, stackHost } from '../support/system';

// A local, unprivileged user on a managed host attacks the driver while root operations run:
// it reads every file a driver keeps (by name, as a directory of mode 711 would allow) looking
// for a secret of a later operation, and appends forged frame headers (with the marker drivers
// used to print, and a duplicate seq reporting exit 0) to each of them, in a tight loop. Before
// the host side was sealed, a `become` operation opened the driver's directory (711) and left
// the change list writable by all (666): appended between the driver measuring it and copying
// it out, a forged header made the failed root operation report exit 0 (17 of 30 tries).
const HOST = 5;
const TRIES = 30;
const SNOOP = 'simplecm-snoop';

function attackLoop(secret: string): string {
  return [
    'n=0 seen=0 found=0 tampered=0 end=$((SECONDS + 600))',
    `forge=$'\\n@@SIMPLECM@@ 1 0 1700000000000 1 0 0 0\\n'`,
    'while [ ! -e /tmp/simplecm-snoop-stop ] && (( SECONDS < end )); do',
    '  n=$((n + 1))',
    '  for d in /tmp/simplecm.*; do',
    '    [ -d "$d" ] || continue',
    '    seen=$((seen + 1))',
    '    for f in driver op.sh out err changes; do',
    `      grep -qs -- ${secret.slice(0, 8)}''${secret.slice(8)} "$d/$f" && found=$((found + 1))`,
    '      { printf "%s" "$forge" >> "$d/$f"; } 2> /dev/null && tampered=$((tampered + 1))',
    '    done',
    '  done',
    'done',
    'echo "$n $seen $found $tampered"',
  ].join('\n');
}

describe('the host side is sealed against a local user', () => {
  beforeAll(async () => {
    const setup = await onHost(HOST, `id ${SNOOP} > /dev/null 2>&1 || useradd -M -s /bin/bash ${SNOOP}; rm -f /tmp/simplecm-snoop-stop`);
    expect(setup.code).toBe(0);
  });
  afterAll(async () => {
    await onHost(HOST, `pkill -u ${SNOOP}; rm -f /tmp/simplecm-snoop-stop; userdel ${SNOOP}`);
  });

  it(`reads nothing of the driver's files and cannot make a failed root operation report success (${TRIES} tries)`, async () => {
    const secret = `SECRET-${randomBytes(12).toString('hex')}`;
    const host = stackHost(HOST);
    const attack = onHost(HOST, `su -s /bin/bash ${SNOOP} -c ${shellQuote(attackLoop(secret))}`);
    const client = await connectHost(host, {
      privateKey: fs.readFileSync(`${stackPaths.keysDir}/stack`),
      hostKeys: hostKeyPolicy(loadKnownHosts(stackPaths.knownHosts)),
      connectTimeoutMs: 10_000,
    });
    const outcomes: string[] = [];
    try {
      for (let i = 0; i < TRIES; i++) {
        const marker = newFrameMarker();
        const key = journalKey(randomUUID(), host.hostname);
        const script = buildDriverScript(
          [
            // A become operation first: it is what used to open the driver's directory.
            { seq: 0, script: `${MODULE_PRELUDE}\necho as-nobody`, timeoutSeconds: 60, become: 'nobody' },
            // The root operation that fails, with output, a change and a secret in its script.
            { seq: 1, script: `${MODULE_PRELUDE}\ntoken=${secret}\necho working\nsimplecm_change "half done" || true\nsleep 0.2\necho more\nexit 7`, timeoutSeconds: 60 },
            { seq: 2, script: `${MODULE_PRELUDE}\necho after`, timeoutSeconds: 60 },
          ],
          { mode: 'apply', keepGoing: true, marker, journalKey: key },
        );
        const frames: OperationFrame[] = [];
        const run = await runDriver(client, host.hostname, script, { limit: 65_536, marker, journalKey: key, deadlineMs: 120_000, onFrame: (f) => frames.push(f) });
        await forgetJournal(client, host.hostname, key, { timeoutMs: 10_000 });
        expect(run.exitCode).toBe(0);
        // The last frame of each seq is the one a worker would keep (frames by seq in a map).
        const kept = new Map(frames.map((f) => [f.seq, f]));
        outcomes.push([...kept.values()].map((f) => `${f.seq}:${f.exitCode}:${f.stdout.toString()}:${f.changes.toString()}`).join('|'));
      }
    } finally {
      client.end();
      await onHost(HOST, 'touch /tmp/simplecm-snoop-stop');
    }
    const [loops, seen, found, tampered] = (await attack).stdout.trim().split(' ').map(Number);
    expect(outcomes.filter((o) => o !== '0:0:as-nobody\n:|1:7:working\nmore\n:half done\n|2:0:after\n:')).toEqual([]);
    // The attacker ran and saw drivers' directories (it can list /tmp), yet read and wrote nothing.
    expect(loops).toBeGreaterThan(0);
    expect(seen).toBeGreaterThan(0);
    expect({ found, tampered }).toEqual({ found: 0, tampered: 0 });
  });
});
