import { displayWidth, formatTable } from '../table';
import { progressReporter, renderProgress } from '../progress-bar';
import { neutralizeControls } from '../neutralize';

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

describe('wide characters and host-supplied text', () => {
  it('aligns columns by terminal width, CJK and emoji counting two', () => {
    const text = formatTable(
      [
        { header: 'host', value: (r: { h: string; s: string }) => r.h },
        { header: 'status', value: (r) => r.s },
      ],
      [
        { h: '東京-web1', s: 'ok' },
        { h: 'web2', s: 'failed' },
        { h: 'café🚀', s: 'ok' },
      ],
    );
    const lines = text.split('\n');
    // The status column starts at the same terminal column on every line.
    const statusColumn = (line: string) => displayWidth(line.slice(0, line.search(/(ok|failed|status)$/)));
    expect(new Set(lines.filter((l) => !l.startsWith('-')).map(statusColumn))).toEqual(new Set([11]));
    expect(lines[1]).toBe('---------  ------');
  });

  it('cuts by terminal width, never through a wide character', () => {
    const text = formatTable([{ header: 'c', value: (r: string) => r, maxWidth: 6 }], ['日本語のテキスト']);
    expect(text.split('\n')[2]).toBe('日本…');
  });

  it('shows escape sequences and other controls instead of sending them to the terminal', () => {
    const hostile = 'ok\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202eevil\r';
    const text = formatTable([{ header: 'stdout', value: (r: string) => r }], [hostile]);
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(text.split('\n')[2]).toBe('ok\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u{202e}evil');
    expect(neutralizeControls('line one\n\tline two\u001b[0m')).toBe('line one\n\tline two\\x1b[0m');
  });
});

/** What a terminal shows after the writes: `\r` returns to column 0, ESC [K erases to the end. */
function screenLine(writes: readonly string[]): string {
  let line = '';
  let cursor = 0;
  for (const chunk of writes) {
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] === '\r') cursor = 0;
      else if (chunk.startsWith('\u001b[K', i)) {
        line = line.slice(0, cursor);
        i += 2;
      } else {
        line = line.slice(0, cursor) + chunk[i] + line.slice(cursor + 1);
        cursor++;
      }
    }
  }
  return line;
}

describe('progressReporter on a terminal', () => {
  it('redraws cleanly when the line gets shorter', () => {
    const writes: string[] = [];
    const tty = { isTTY: true, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream;
    const progress = progressReporter(tty);
    progress.update({ done: 0, failed: 10, total: 10 });
    progress.update({ done: 1, failed: 0, total: 10 });
    expect(screenLine(writes)).toBe(renderProgress({ done: 1, failed: 0, total: 10 }));
  });
});
