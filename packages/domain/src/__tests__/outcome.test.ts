import { countStatuses, hostStatusOf, hostStatusSchema, operationStatuses, troubledHostStatuses } from '../outcome';

describe('outcomes', () => {
  it('a host with a rejected operation is rejected, whatever else it has', () => {
    expect(hostStatusOf(['ok', 'rejected', 'unreachable', 'failed'])).toBe('rejected');
    expect(hostStatusOf(['ok', 'unreachable', 'failed'])).toBe('unreachable');
    expect(hostStatusOf(['changed', 'failed', 'skipped'])).toBe('failed');
    expect(hostStatusOf(['ok', 'changed'])).toBe('changed');
  });

  it('counts every status, rejected included, so the counts add up to the operations', () => {
    const statuses = ['ok', 'rejected', 'rejected', 'skipped', 'unreachable', 'failed', 'changed'] as const;
    const counts = countStatuses(statuses);
    expect(counts).toEqual({ ok: 1, changed: 1, failed: 1, skipped: 1, unreachable: 1, rejected: 2 });
    expect(operationStatuses.reduce((n, s) => n + counts[s], 0)).toBe(statuses.length);
  });

  it('rejected is a host status and a troubled one; skipped is neither', () => {
    expect(hostStatusSchema.options).toEqual(['ok', 'changed', 'failed', 'unreachable', 'rejected']);
    expect([...troubledHostStatuses]).toEqual(['failed', 'unreachable', 'rejected']);
  });
});
