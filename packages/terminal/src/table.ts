import stringWidth from 'string-width';
import { neutralizeControls } from './neutralize';

export type Align = 'left' | 'right';

export interface Column<Row> {
  readonly header: string;
  readonly value: (row: Row) => string | number;
  readonly align?: Align;
  /** Longer cells are cut with an ellipsis. */
  readonly maxWidth?: number;
}

/** Columns a string takes on a terminal: wide (CJK, emoji) characters take two, combining marks none. */
export const displayWidth = (text: string): number => stringWidth(text);

/** The longest start of `text` that fits in `max - 1` columns, plus an ellipsis. */
function cut(text: string, max: number): string {
  let out = '';
  let width = 0;
  for (const ch of text) {
    const w = stringWidth(ch);
    if (width + w > max - 1) break;
    out += ch;
    width += w;
  }
  return `${out}…`;
}

function cell(text: string, max: number | undefined): string {
  const flat = neutralizeControls(text.replace(/\s+/g, ' '), { keepBreaks: false });
  return max !== undefined && stringWidth(flat) > max ? cut(flat, max) : flat;
}

function pad(text: string, width: number, align: Align | undefined): string {
  const fill = ' '.repeat(Math.max(0, width - stringWidth(text)));
  return align === 'right' ? fill + text : text + fill;
}

/**
 * A plain-text table with a header rule, sized to its content in terminal columns (wide
 * characters count twice); cells are flattened to one line with controls made visible.
 */
export function formatTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const cells = rows.map((row) => columns.map((c) => cell(String(c.value(row)), c.maxWidth)));
  const widths = columns.map((c, i) => Math.max(stringWidth(c.header), ...cells.map((r) => stringWidth(r[i] ?? ''))));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => pad(v, widths[i] ?? 0, columns[i]?.align))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
