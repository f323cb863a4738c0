import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fc from 'fast-check';
import type { Operation } from '@simplecm/domain';
import { loadModules, MODULE_PRELUDE, renderOperation, resolveModulesDir, validateOperation } from '@simplecm/modules';
import { buildDriverScript, connectHost, forgetJournal, journalKey, hostKeyPolicy, loadKnownHosts, newFrameMarker, runDriver, type OperationFrame } from '@simplecm/ssh';
import { stackPaths } from '@simplecm/stack';
import { onHost, stackHost } from '../support/system';

// Attribute values, hostile and random, rendered through the real `file_content` module and run
// over SSH on a stack host by the same driver the workers use: each must land in its file byte
// for byte, and no injection may leave a marker behind.
const MARK = '/root/simplecm-pwned';

function hostileValues(): string[] {
  return [
    "'", '"', "'\\''", `$(touch ${MARK}1)`, `\`touch ${MARK}2\``, `'; touch ${MARK}3; '`, `"; touch ${MARK}4; "`,
    `; touch ${MARK}5`, `| touch ${MARK}6`, `&& touch ${MARK}7`, `\ntouch ${MARK}8\n`, `\${IFS}touch\${IFS}${MARK}9`,
    `> ${MARK}10`, '-rf', '--', '-', '*', '/*', '[a-z]*', '{a,b}', '~', '\\', "\\'", '$HOME', '${HOME}', '$1 $@ $* $# $? $$ $!',
    '!!', '%s %d %n %%', '\\x41\\n\\0', '', ' ', '\t', '\n\n', '#comment', 'EOF\nEOF', '\u0001\u001b[31mred\u001b[0m\u007f',
    'ünïcødé ✓ 日本語 🙂 \u202e\u200b', '\uffff\u{10ffff}', "'".repeat(5_000), `${"'$(touch PWNED)`x`\n".repeat(2_000)}end`,
  ];
}

function randomValues(count: number): string[] {
  const shellish = fc.constantFrom("'", '"', '\\', '$', '`', '(', ')', ';', '|', '&', '<', '>', '*', '?', '[', ']', '{', '}', '~', '!', '#', ' ', '\t', '\n', '\r', '-');
  const value = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.string({ unit: fc.oneof(shellish, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 60 }),
  );
  return fc.sample(value.filter((s) => !s.includes('\u0000') && Buffer.from(s, 'utf8').toString('utf8') === s), { numRuns: count, seed: 20261125 });
}

describe('attribute values over SSH', () => {
  it('arrive byte for byte as one literal word, with no injection', async () => {
    const values = [...hostileValues(), ...randomValues(2_000)];
    const modules = loadModules(resolveModulesDir(undefined));
    const host = stackHost(2);
    await onHost(2, `rm -rf /root/prop ${MARK}* && mkdir /root/prop`);
    const operations: Operation[] = values.map((content, i) => ({ seq: i, name: `value ${i}`, module: 'file_content', attributes: { path: `/root/prop/${i}`, content } }));
    const scripts = operations.map((op) => `${MODULE_PRELUDE}\n${renderOperation(modules, { ...op, attributes: validateOperation(modules, host.hostname, op) })}`);

    const client = await connectHost(host, {
      privateKey: fs.readFileSync(`${stackPaths.keysDir}/stack`),
      hostKeys: hostKeyPolicy(loadKnownHosts(stackPaths.knownHosts)),
      connectTimeoutMs: 10_000,
    });
    const marker = newFrameMarker();
    const runAll = async (): Promise<OperationFrame[]> => {
      // Each run a host job of its own (a journal of its own): the second run runs everything again.
      const key = journalKey(randomUUID(), host.hostname);
      const script = buildDriverScript(operations.map((op, i) => ({ seq: op.seq, script: scripts[i]!, timeoutSeconds: 60 })), { mode: 'apply', keepGoing: true, marker, journalKey: key });
      const frames: OperationFrame[] = [];
      const run = await runDriver(client, host.hostname, script, { limit: 65_536, marker, journalKey: key, deadlineMs: 300_000, onFrame: (f) => frames.push(f) });
      await forgetJournal(client, host.hostname, key, { timeoutMs: 10_000 });
      expect(run.exitCode).toBe(0);
      expect(frames).toHaveLength(values.length);
      return frames;
    };
    let again: OperationFrame[];
    try {
      const frames = await runAll();
      const failures = frames.filter((f) => f.exitCode !== 0).map((f) => `#${f.seq}: ${f.stderr.toString()}`);
      expect(failures).toEqual([]);
      // Run again: every file now holds its value, and the module's comparison (bash's, below
      // 4 KiB) must see that for every value, so nothing changes.
      again = await runAll();
    } finally {
      client.end();
    }
    expect(again.filter((f) => f.exitCode !== 0 || f.changes.length > 0).map((f) => `#${f.seq}: ${f.changes.toString()}${f.stderr.toString()}`)).toEqual([]);

    const listing = await onHost(2, `cd /root/prop && for f in *; do printf '%s %s\\n' "$f" "$(base64 -w0 < "$f")"; done; ls ${MARK}* /root/PWNED* 2>/dev/null | wc -l`);
    const lines = listing.stdout.trim().split('\n');
    expect(lines.pop()).toBe('0'); // no marker file anywhere an injection would have put one
    const written = new Map(lines.map((l) => [Number(l.split(' ')[0]), Buffer.from(l.split(' ')[1] ?? '', 'base64')]));
    const mismatches = values.filter((v, i) => !Buffer.from(v, 'utf8').equals(written.get(i) ?? Buffer.alloc(0)) || !written.has(i));
    expect(mismatches).toEqual([]);
  }, 600_000); // ~2,000 operations on one host: about a minute on an idle machine, far more on a busy one
});
