import type { types } from 'cassandra-driver';
import { fromRunRow, InvalidRowError } from '../rows';

const RUN_ID = '6f1c2d3e-1a2b-11f0-8a3b-0242ac120002';

/** A row as the driver hands it: columns by name, absent ones null. */
function row(columns: Record<string, unknown>): types.Row {
  return { get: (name: string) => columns[name] ?? null } as unknown as types.Row;
}

const created = new Date('2026-11-01T10:00:00Z');
const written = { run_id: RUN_ID, created_at: created, mode: 'apply', target: 'all', host_count: 3, status: 'running' };

describe('runs rows', () => {
  it('reads a run just created, counts not yet written as 0', () => {
    expect(fromRunRow(row(written))).toEqual({
      runId: RUN_ID,
      createdAt: created,
      mode: 'apply',
      target: 'all',
      hostCount: 3,
      status: 'running',
      counts: { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0, rejected: 0 },
      hostsDone: 0,
      finishedAt: null,
      stateRevision: null,
    });
  });

  it('reads the state revision the run recorded', () => {
    const revision = '5d1c7e40-ad7e-11f1-8a3b-2b1d5c0e9f10';
    expect(fromRunRow(row({ ...written, state_revision: revision })).stateRevision).toBe(revision);
    expect(() => fromRunRow(row({ ...written, state_revision: 42 }))).toThrow(/field "stateRevision"/);
  });

  it('refuses a row that is not a run, naming the run and the field', () => {
    expect(() => fromRunRow(row({ ...written, status: 'paused' }))).toThrow(InvalidRowError);
    expect(() => fromRunRow(row({ ...written, status: 'paused' }))).toThrow(new RegExp(`^runs row for run ${RUN_ID}: field "status"`));
    // Progress written for a run whose row was never created: no mode, no creation time.
    expect(() => fromRunRow(row({ run_id: RUN_ID, hosts_done: 1 }))).toThrow(/field "createdAt".*field "mode"/);
  });
});
