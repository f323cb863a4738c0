import { closeAll } from '../close-all';

describe('closeAll', () => {
  it('runs every step in reverse order of set-up, even after one throws, and rethrows that error', async () => {
    const ran: string[] = [];
    const failure = new Error('b failed');
    const done = closeAll([
      () => void ran.push('a'),
      () => {
        ran.push('b');
        throw failure;
      },
      async () => void ran.push('c'),
    ]);
    await expect(done).rejects.toBe(failure);
    expect(ran).toEqual(['c', 'b', 'a']);
  });

  it('reports several failures together', async () => {
    const done = closeAll([() => Promise.reject(new Error('one')), () => Promise.reject('two')]);
    await expect(done).rejects.toBeInstanceOf(AggregateError);
    await expect(closeAll([() => Promise.reject(new Error('one')), () => Promise.reject('two')])).rejects.toThrow(/two\n.*one/);
  });

  it('resolves when every step does', async () => {
    await expect(closeAll([])).resolves.toBeUndefined();
  });
});
