import { emptyCounts, type Run } from '@simplecm/domain';
import { formatRecap } from '../recap';

const run = (stateRevision: string | null): Run => ({
  runId: 'e1270960-caf1-11f0-9d7b-0b4a1c2d3e4f',
  createdAt: new Date('2026-11-25T20:07:45Z'),
  mode: 'apply',
  target: 'group:web tags:config',
  hostCount: 2,
  status: 'finished',
  counts: { ...emptyCounts(), ok: 3, skipped: 1 },
  hostsDone: 2,
  finishedAt: new Date('2026-11-25T20:07:47Z'),
  stateRevision,
});

describe('run recap', () => {
  it('names the state revision the run converged, or none', () => {
    const rev = '5d1c7e40-ad7e-11f1-8a3b-2b1d5c0e9f10';
    expect(formatRecap(run(rev), [], false)).toContain(
      `run e1270960-caf1-11f0-9d7b-0b4a1c2d3e4f (apply, group:web tags:config), state revision ${rev}: 2/2 hosts; operations ok=3 changed=0 failed=0 skipped=1`,
    );
    expect(formatRecap(run(null), [], false)).toContain('state revision none: 2/2 hosts');
  });
});
