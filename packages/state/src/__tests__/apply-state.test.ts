import type { Host, Operation } from '@simplecm/domain';
import { applyState, desiredState, type ApplyStateDeps, type DesiredHost } from '..';

/** The deps over a Map, recording each write and delete; `failOn` makes writing that host fail once. */
function memoryStore(initial: DesiredHost[] = [], failOn?: string) {
  const hosts = new Map(initial.map((h) => [h.host.hostname, h]));
  const log: string[] = [];
  let failing = failOn;
  const deps: ApplyStateDeps = {
    async readAll() {
      return [...hosts.values()];
    },
    async writeHost({ host, operations, previousGroups }) {
      if (host.hostname === failing) {
        failing = undefined;
        throw new Error(`write ${host.hostname} failed`);
      }
      log.push(`write ${host.hostname} (left: ${previousGroups.filter((g) => !host.groups.includes(g)).join(',') || '-'})`);
      hosts.set(host.hostname, { host, operations });
    },
    async deleteHost(hostname) {
      log.push(`delete ${hostname}`);
      hosts.delete(hostname);
    },
  };
  return { deps, hosts, log };
}

function host(hostname: string, groups: string[], ops: string[]): DesiredHost {
  const h: Host = { hostname, address: hostname, port: 22, user: 'root', keyName: 'k', groups: ['all', ...groups], vars: {}, hostKeys: [], become: null };
  const operations: Operation[] = ops.map((name, seq) => ({ seq, name, module: 'file_exists', attributes: { path: `/${name}` }, become: null }));
  return { host: h, operations };
}

describe('applyState', () => {
  it('writes only what differs, keeps absent hosts without prune, and is a no-op the second time', async () => {
    const store = memoryStore([host('same', [], ['a']), host('moved', ['web'], ['a']), host('extra', [], [])]);
    const desired = desiredState([host('same', [], ['a']), host('moved', ['db'], ['a', 'b']), host('new', [], ['x'])]);
    const first = await applyState(store.deps, desired);
    expect(store.log.sort()).toEqual(['write moved (left: web)', 'write new (left: -)']);
    expect(first.kept).toEqual(['extra']);
    expect(first.summary).toBe('hosts: 1 added, 0 removed, 1 changed (operations: 1 added), 1 unchanged; 1 not in the directory kept (no --prune)');
    store.log.length = 0;
    const second = await applyState(store.deps, desired);
    expect(store.log).toEqual([]);
    expect(second.summary).toBe('no changes (3 host(s) unchanged); 1 not in the directory kept (no --prune)');
  });

  it('deletes absent hosts with prune', async () => {
    const store = memoryStore([host('a', [], []), host('b', [], [])]);
    const result = await applyState(store.deps, desiredState([host('a', [], [])]), { prune: true });
    expect(store.log).toEqual(['delete b']);
    expect(result.kept).toEqual([]);
    expect(result.summary).toBe('hosts: 0 added, 1 removed, 0 changed, 1 unchanged');
  });

  it('a failure half-way is repaired by applying again', async () => {
    const desired = desiredState(['h1', 'h2', 'h3', 'h4'].map((n) => host(n, [], ['a'])));
    const store = memoryStore([], 'h2');
    await expect(applyState(store.deps, desired, { concurrency: 1 })).rejects.toThrow('write h2 failed');
    // It stops at the first failure: h1 is written, h2 failed, h3 and h4 were not started.
    expect([...store.hosts.keys()]).toEqual(['h1']);
    const again = await applyState(store.deps, desired);
    expect(again.summary).toBe('hosts: 3 added, 0 removed, 0 changed, 1 unchanged');
    expect(desiredState(await store.deps.readAll())).toEqual(desired);
  });
});
