import path from 'node:path';
import type { Host, Operation, RunTarget } from '@simplecm/domain';
import { loadModules } from '@simplecm/modules';
import { InvalidDesiredStateError, planHosts, validateTarget, type PlanSource } from '../plan-run';

const modules = loadModules(path.resolve(__dirname, '../../../../modules'));
const host = (n: number): Host => ({ hostname: `h${n}`, address: `10.0.0.${n}`, port: 22, user: 'root', keyName: 'k', groups: [], vars: {}, hostKeys: [], become: null });

/** An in-memory inventory: planning is pure logic over these two functions. */
function source(count: number, opsFor: (n: number) => Operation[]): PlanSource & { reads: number } {
  const state = { reads: 0 };
  return {
    get reads() {
      return state.reads;
    },
    async *streamHosts(_target: RunTarget) {
      for (let n = 1; n <= count; n++) yield host(n);
    },
    async getOperations(hostname: string) {
      state.reads++;
      return opsFor(Number(hostname.slice(1)));
    },
  };
}

const good = (): Operation[] => [{ seq: 0, name: 'f', module: 'file_exists', attributes: { path: '/tmp/x' } }];

describe('planning a run', () => {
  it('counts the hosts of a valid target', async () => {
    await expect(validateTarget(source(150, good), modules, { kind: 'all' })).resolves.toBe(150);
  });

  it('collects every problem, naming host, operation and field', async () => {
    const src = source(5, (n) => (n % 2 ? [{ seq: 3, name: 'bad', module: 'file_exists', attributes: { path: 'relative' } }] : good()));
    const error = await validateTarget(src, modules, { kind: 'all' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidDesiredStateError);
    const problems = (error as InvalidDesiredStateError).problems;
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/host h\d, operation #3 "bad".*"path"/);
  });

  it('streams validated hosts in batches, applying attribute defaults', async () => {
    const batches: number[] = [];
    let total = 0;
    for await (const batch of planHosts(source(130, good), modules, { kind: 'all' }, { batch: 50 })) {
      batches.push(batch.length);
      total += batch.length;
      expect(batch[0]!.operations[0]!.module).toBe('file_exists');
    }
    expect(batches).toEqual([50, 50, 30]);
    expect(total).toBe(130);
  });
});
