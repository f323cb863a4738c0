import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Host, Operation } from '@simplecm/domain';
import type { PlannedHost } from '../plan-run';
import { createPlanSpool } from '../plan-spool';

const planned = (n: number): PlannedHost => {
  const host: Host = { hostname: `h${n}`, address: `10.0.${n >> 8}.${n & 255}`, port: 22, user: 'root', keyName: 'k', groups: ['web'], vars: {}, hostKeys: [], become: null };
  // Text that is long, multi-byte and full of line breaks, so lines and chunks cross each other.
  const content = `${'é—\u{1F600}\n'.repeat(n % 700)}host ${n}\r\n`;
  return { host, operations: [{ seq: 0, name: 'motd', module: 'file_content', attributes: { path: '/etc/motd', content }, become: null }] };
};

describe('the plan spool', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spool-test-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gives back every host as written, in order and in batches, across chunk boundaries', async () => {
    const spool = await createPlanSpool(dir);
    try {
      const n = 3_000; // ≈ 5 MB: several 1 MiB chunks
      for (let i = 1; i <= n; i++) await spool.write(planned(i));
      expect(await spool.finish()).toBe(n);
      const sizes: number[] = [];
      let i = 0;
      for await (const batch of spool.read(500)) {
        sizes.push(batch.length);
        for (const host of batch) expect(host).toEqual(planned(++i));
      }
      expect(sizes).toEqual([500, 500, 500, 500, 500, 500]);
      // Read again: the same hosts (a spool can be read more than once).
      let again = 0;
      for await (const batch of spool.read(7)) again += batch.length;
      expect(again).toBe(n);
    } finally {
      await spool.close();
      await spool.close();
    }
  });

  it('writes an operation many hosts share once, and forgets known operations in step when there are many', async () => {
    const spool = await createPlanSpool(dir);
    try {
      const shared: Operation = { seq: 0, name: 'd', module: 'directory', attributes: { path: '/srv', state: 'present' }, become: null };
      // 25,000 distinct operations besides the shared one: the numbering starts again twice.
      const host = (n: number): PlannedHost => {
        const own: Operation = { seq: 1, name: `own ${n}`, module: 'file_exists', attributes: { path: `/srv/${n}` }, become: null };
        return { host: planned(n).host, operations: n % 3 === 0 ? [shared, own, shared] : [shared, own] };
      };
      for (let i = 1; i <= 25_000; i++) await spool.write(host(i));
      await spool.finish();
      let i = 0;
      // Compared as JSON: 25,000 deep equalities would take most of the test's time.
      for await (const batch of spool.read(1_000)) expect(JSON.stringify(batch)).toBe(JSON.stringify(batch.map(() => host(++i))));
      expect(i).toBe(25_000);
    } finally {
      await spool.close();
    }
  });

  it('leaves no file behind, even while open', async () => {
    const spool = await createPlanSpool(dir);
    await spool.write(planned(1));
    await spool.finish();
    expect(fs.readdirSync(dir)).toEqual([]);
    await spool.close();
  });

  it('reads nothing from an empty spool', async () => {
    const spool = await createPlanSpool(dir);
    expect(await spool.finish()).toBe(0);
    for await (const batch of spool.read(10)) throw new Error(`got ${batch.length}`);
    await spool.close();
  });
});
