import stringWidth from 'string-width';
import { noColour, type Colour, type Painter } from './colors';
import { neutralizeControls } from './neutralize';

export type Align = 'left' | 'right';

export interface Column<Row> {
  readonly header: string;
  readonly value: (row: Row) => string | number;
  readonly align?: Align;
  /** Longer cells are cut with an ellipsis. */
  readonly maxWidth?: number;
  /** The colour of a cell from its (neutralised) text, when the table is painted; none by default. */
  readonly colour?: (text: string) => Colour | undefined;
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

function pad(text: string, width: number, align: Align | undefined, colour: Colour | undefined, paint: Painter): string {
  const fill = ' '.repeat(Math.max(0, width - stringWidth(text)));
  // Painted after measuring: escape sequences take no column.
  const shown = colour === undefined ? text : paint(colour, text);
  return align === 'right' ? fill + shown : shown + fill;
}

/**
 * A plain-text table with a header rule, sized to its content in terminal columns (wide
 * characters count twice); cells are flattened to one line with controls made visible. With a
 * painter (see painterFor), cells of columns that have a `colour` are coloured.
 */
export function formatTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[], paint: Painter = noColour): string {
  const cells = rows.map((row) => columns.map((c) => cell(String(c.value(row)), c.maxWidth)));
  const widths = columns.map((c, i) => Math.max(stringWidth(c.header), ...cells.map((r) => stringWidth(r[i] ?? ''))));
  const line = (values: readonly string[], painted: boolean) =>
    values
      .map((v, i) => pad(v, widths[i] ?? 0, columns[i]?.align, painted ? columns[i]?.colour?.(v) : undefined, paint))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header), false), line(widths.map((w) => '-'.repeat(w)), false), ...cells.map((c) => line(c, true))].join('\n');
}
