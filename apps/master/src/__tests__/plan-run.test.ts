import path from 'node:path';
import type { Host, Operation, RunTarget } from '@simplecm/domain';
import { loadModules } from '@simplecm/modules';
import { InvalidRowError, UnknownHostError, type InventoryEntry } from '@simplecm/store';
import { InvalidDesiredStateError, operationChecker, readTarget, validateTarget, type PlannedHost, type PlanSource } from '../plan-run';

const modules = loadModules(path.resolve(__dirname, '../../../../modules'));
const host = (n: number): Host => ({ hostname: `h${n}`, address: `10.0.0.${n}`, port: 22, user: 'root', keyName: 'k', groups: [], vars: {}, hostKeys: [], become: null });

/** An in-memory inventory: planning is pure logic over these functions. */
function source(count: number, opsFor: (n: number) => Operation[], { scan = false } = {}): PlanSource & { reads: number; scans: number } {
  const state = { reads: 0, scans: 0 };
  return {
    get reads() {
      return state.reads;
    },
    get scans() {
      return state.scans;
    },
    async *streamHosts(_target: RunTarget) {
      for (let n = 1; n <= count; n++) yield host(n);
    },
    async getOperations(hostname: string) {
      state.reads++;
      return opsFor(Number(hostname.slice(1)));
    },
    scanInventory: scan
      ? async function* (): AsyncIterable<InventoryEntry> {
          state.scans++;
          for (let n = 1; n <= count; n++) yield { hostname: `h${n}`, host: host(n), operations: opsFor(n) };
        }
      : undefined,
  };
}

const good = (): Operation[] => [{ seq: 0, name: 'f', module: 'file_exists', attributes: { path: '/tmp/x' } }];

describe('planning a run', () => {
  it('counts the hosts of a valid target', async () => {
    await expect(validateTarget(source(150, good), operationChecker(modules), { kind: 'all' })).resolves.toBe(150);
  });

  it('collects every problem, naming host, operation and field', async () => {
    const src = source(5, (n) => (n % 2 ? [{ seq: 3, name: 'bad', module: 'file_exists', attributes: { path: 'relative' } }] : good()));
    const error = await validateTarget(src, operationChecker(modules), { kind: 'all' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidDesiredStateError);
    const problems = (error as InvalidDesiredStateError).problems;
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/host h\d, operation #3 "bad".*"path"/);
  });

  it('lists 50 problems and counts the rest', async () => {
    const bad: Operation = { seq: 1, name: 'bad', module: 'file_exists', attributes: { path: 'relative' } };
    const error = (await validateTarget(source(70, () => [bad], { scan: true }), operationChecker(modules), { kind: 'all' }).catch((e: unknown) => e)) as InvalidDesiredStateError;
    expect(error).toBeInstanceOf(InvalidDesiredStateError);
    expect(error.problems).toHaveLength(50);
    expect(error.more).toBe(20);
    // One operation object shared by every host, and still every message names its own host.
    expect(new Set(error.problems).size).toBe(50);
    expect(error.problems[49]).toMatch(/^host h50, operation #1 "bad": attribute "path"/);
  });

  it('throws a failure to read as it is, not as a problem of the desired state', async () => {
    const timeout = new Error('Operation timed out - received only 0 responses.');
    // Operations of one host cannot be read (--group / --hosts read host by host).
    const flaky: PlanSource = {
      ...source(5, good),
      async getOperations(hostname: string) {
        if (hostname === 'h3') throw timeout;
        return good();
      },
    };
    await expect(validateTarget(flaky, operationChecker(modules), { kind: 'group', group: 'g' })).rejects.toBe(timeout);
    // The scan stops half-way.
    const broken: PlanSource = {
      ...source(5, good),
      async *scanInventory() {
        yield { hostname: 'h1', host: host(1), operations: good() };
        throw timeout;
      },
    };
    await expect(validateTarget(broken, operationChecker(modules), { kind: 'all' })).rejects.toBe(timeout);
    // Whereas an unknown host is the operator's to fix: a problem, listed.
    const unknown: PlanSource = {
      ...source(1, good),
      async *streamHosts() {
        yield host(1);
        throw new UnknownHostError('nope');
      },
    };
    const error = await validateTarget(unknown, operationChecker(modules), { kind: 'hosts', hosts: ['h1', 'nope'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidDesiredStateError);
    expect((error as InvalidDesiredStateError).problems).toEqual([expect.stringMatching(/nope/)]);
  });

  it('reports a host whose rows do not parse as a problem of that host, and carries on', async () => {
    const src: PlanSource = {
      ...source(3, good),
      async *scanInventory() {
        yield { hostname: 'h1', host: host(1), operations: good() };
        yield { hostname: 'h2', error: new InvalidRowError('host h2, operation #0 "f": field "module": bad') };
        yield { hostname: 'h3', host: host(3), operations: [{ seq: 0, name: 'nope', module: 'nope', attributes: {} }] };
      },
    };
    const error = (await validateTarget(src, operationChecker(modules), { kind: 'all' }).catch((e: unknown) => e)) as InvalidDesiredStateError;
    expect(error.problems).toEqual([expect.stringMatching(/^host h2, operation #0/), expect.stringMatching(/^host h3, operation #0 "nope": unknown module "nope"/)]);
  });

  it('reads the whole inventory by one scan, and a group or a list of hosts host by host', async () => {
    const all = source(10, good, { scan: true });
    const entries: string[] = [];
    for await (const entry of readTarget(all, { kind: 'all' })) entries.push(entry.hostname);
    expect(entries).toHaveLength(10);
    expect([all.scans, all.reads]).toEqual([1, 0]);

    const group = source(130, good, { scan: true });
    const names: string[] = [];
    for await (const entry of readTarget(group, { kind: 'group', group: 'g' })) names.push(entry.hostname);
    // In the order the hosts came, whatever order the concurrent reads finished in.
    expect(names).toEqual(Array.from({ length: 130 }, (_, i) => `h${i + 1}`));
    expect([group.scans, group.reads]).toEqual([0, 130]);
  });

  it('checks an operation shared by many hosts once and hands back the same checked operation', async () => {
    const shared: Operation = { seq: 0, name: 'd', module: 'directory', attributes: { path: '/srv/x' } };
    const check = operationChecker(modules);
    const first = check('h1', shared);
    expect(check('h2', shared)).toBe(first);
    // Defaults applied, the row's own object untouched.
    expect(Object.keys(first.attributes).length).toBeGreaterThan(Object.keys(shared.attributes).length);
    expect(shared.attributes).toEqual({ path: '/srv/x' });
    // An equal but distinct operation is checked on its own, with the same outcome.
    expect(check('h3', { ...shared })).toEqual(first);
  });

  it('hands every host with its checked operations to keep, in order, defaults applied', async () => {
    for (const scan of [false, true]) {
      const kept: PlannedHost[] = [];
      const ops = (): Operation[] => [...good(), { seq: 1, name: 'd', module: 'directory', attributes: { path: '/srv/x' } }];
      const count = await validateTarget(source(130, ops, { scan }), operationChecker(modules), { kind: 'all' }, { keep: async (h) => void kept.push(h) });
      expect(count).toBe(130);
      expect(kept.map((h) => h.host.hostname)).toEqual(Array.from({ length: 130 }, (_, i) => `h${i + 1}`));
      expect(kept[129]!.operations).toEqual([...good(), { seq: 1, name: 'd', module: 'directory', attributes: { path: '/srv/x', state: 'present' } }]);
    }
  });

  it('keeps nothing more once a problem is found, and a failure of keep is not a problem of the desired state', async () => {
    const kept: string[] = [];
    const src = source(10, (n) => (n === 4 ? [{ seq: 0, name: 'bad', module: 'nope', attributes: {} }] : good()));
    await expect(validateTarget(src, operationChecker(modules), { kind: 'all' }, { keep: async (h) => void kept.push(h.host.hostname) })).rejects.toBeInstanceOf(InvalidDesiredStateError);
    expect(kept).toEqual(['h1', 'h2', 'h3']);

    const diskFull = new Error('ENOSPC');
    await expect(validateTarget(source(3, good), operationChecker(modules), { kind: 'all' }, { keep: async () => Promise.reject(diskFull) })).rejects.toBe(diskFull);
  });

  describe('handlers and tags', () => {
    const op = (seq: number, name: string, more: Partial<Operation> = {}): Operation => ({ seq, name, module: 'file_exists', attributes: { path: `/tmp/${seq}` }, ...more });

    it('refuses a handler naming a later, unknown or its own operation, naming host, operation and name', async () => {
      const ops = (): Operation[] => [
        op(0, 'write config'),
        op(1, 'reload', { whenChanged: ['write config', 'restart'] }),
        op(2, 'restart'),
        op(3, 'again', { whenChanged: ['again', 'nope'] }),
      ];
      const error = (await validateTarget(source(1, ops), operationChecker(modules), { kind: 'all' }).catch((e: unknown) => e)) as InvalidDesiredStateError;
      expect(error).toBeInstanceOf(InvalidDesiredStateError);
      expect(error.problems).toEqual([
        'host h1, operation #1 "reload": when_changed names "restart", a later operation; a handler must name earlier operations of the same host',
        'host h1, operation #3 "again": when_changed names "again", itself; a handler must name earlier operations of the same host',
        'host h1, operation #3 "again": when_changed names "nope", no operation of this host; a handler must name earlier operations of the same host',
      ]);
    });

    it('accepts handlers naming earlier operations, and keeps only the selected operations', async () => {
      const ops = (): Operation[] => [
        op(0, 'write config', { tags: ['web'] }),
        op(1, 'write other', { tags: ['db'] }),
        op(2, 'reload', { tags: ['web'], whenChanged: ['write config', 'write other'] }),
        op(3, 'untagged'),
      ];
      const kept: PlannedHost[] = [];
      await validateTarget(source(2, ops), operationChecker(modules), { kind: 'all' }, { keep: async (h) => void kept.push(h), selection: { tags: ['web'] } });
      expect(kept).toHaveLength(2);
      expect(kept[0]!.operations.map((o) => [o.name, o.whenChanged])).toEqual([
        ['write config', undefined],
        ['reload', ['write config']],
      ]);
    });
  });
});

