import { formatTable } from '../table';
import { renderProgress } from '../progress-bar';

describe('formatTable', () => {
  it('aligns columns to the widest cell and right-aligns numbers', () => {
    const text = formatTable(
      [
        { header: 'host', value: (r: { h: string; n: number }) => r.h },
        { header: 'ok', value: (r) => r.n, align: 'right' },
      ],
      [
        { h: 'host1', n: 3 },
        { h: 'a-long-host', n: 12 },
      ],
    );
    expect(text.split('\n')).toEqual(['host         ok', '-----------  --', 'host1         3', 'a-long-host  12']);
  });

  it('cuts long cells and flattens newlines', () => {
    const text = formatTable([{ header: 'cause', value: (r: string) => r, maxWidth: 8 }], ['line one\nline two']);
    expect(text.split('\n')[2]).toBe('line on…');
  });
});

describe('renderProgress', () => {
  it('shows done, failed and remaining', () => {
    expect(renderProgress({ done: 5, failed: 1, total: 10 }, 10)).toBe('[#####-----]  5/10 hosts  1 failed  5 remaining');
  });
});
