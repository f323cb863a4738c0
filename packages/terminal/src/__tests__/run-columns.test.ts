import { formatTable } from '../table';
import { describeRun, runColumns, runHostColumns } from '../run-columns';

const counts = { ok: 3, changed: 2, failed: 1, skipped: 4, unreachable: 0, rejected: 0 };

describe('run tables', () => {
  it("prints a run's hosts with a column per status, in the order of the statuses", () => {
    const text = formatTable(runHostColumns, [{ hostname: 'web1', status: 'failed', counts, worker: 'w1', cause: 'module-failed: x' }]);
    expect(text.split('\n')).toEqual([
      'host  status  ok  changed  failed  skipped  unreachable  rejected  worker  cause',
      '----  ------  --  -------  ------  -------  -----------  --------  ------  ----------------',
      'web1  failed   3        2       1        4            0         0  w1      module-failed: x',
    ]);
  });

  it('prints runs with their duration once finished', () => {
    const createdAt = new Date('2026-11-01T10:00:00Z');
    const run = { runId: 'r1', createdAt, mode: 'apply', target: 'all', hostCount: 5, status: 'finished', counts, hostsDone: 5, finishedAt: new Date(createdAt.getTime() + 1500), stateRevision: null } as const;
    const [header, , line] = formatTable(runColumns, [run]).split('\n');
    expect(header?.split(/\s+/)).toEqual(['run', 'created', 'mode', 'target', 'hosts', 'status', 'ok', 'changed', 'failed', 'skipped', 'unreachable', 'rejected', 'duration', 'state', 'revision']);
    expect(line).toMatch(/^r1\s+2026-11-01 10:00:00\s+apply\s+all\s+5\/5\s+finished\s+3\s+2\s+1\s+4\s+0\s+0\s+1\.5 s$/);
  });

  it('names the state revision a run converged, or none', () => {
    const rev = '5d1c7e40-ad7e-11f1-8a3b-2b1d5c0e9f10';
    const run = (stateRevision: string | null) =>
      ({ runId: 'r1', createdAt: new Date('2026-11-25T20:07:45Z'), mode: 'apply', target: 'group:web tags:config', hostCount: 2, status: 'finished', counts, hostsDone: 2, finishedAt: null, stateRevision }) as const;
    expect(describeRun(run(rev))).toBe(`run r1 (apply, group:web tags:config), state revision ${rev}`);
    expect(describeRun(run(null))).toMatch(/state revision none$/);
    const table = formatTable(runColumns, [run(rev), run(null)]).split('\n');
    expect(table[0]).toMatch(/state revision$/);
    expect(table[2]).toMatch(new RegExp(`${rev}$`));
    expect(table[3]).not.toContain(rev);
  });
});
