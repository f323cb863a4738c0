/**
 * The bytes of cell values a row carries, by CQL type, as the native protocol serializes them
 * (the bound values of the INSERT or UPDATE that wrote it, and what Cassandra sums when it sizes
 * a batch): text in UTF-8, int 4, bigint and timestamp 8, (time)uuid 16, boolean 1, a list the
 * 4-byte length of each element plus the element. Nulls carry no value. Key columns count too:
 * every statement carries its key. Cassandra's own overhead per cell (timestamps, flags) is not
 * included; it is the same for every table and row shape, so the comparison holds.
 */
import { types } from 'cassandra-driver';

type ColumnType = { code: number; info?: unknown };

function valueBytes(type: ColumnType, value: unknown): number {
  if (value === null || value === undefined) return 0;
  const t = types.dataTypes;
  switch (type.code) {
    case t.text:
    case t.varchar:
    case t.ascii:
      return Buffer.byteLength(String(value), 'utf8');
    case t.blob:
      return (value as Buffer).length;
    case t.boolean:
    case t.tinyint:
      return 1;
    case t.smallint:
      return 2;
    case t.int:
    case t.float:
      return 4;
    case t.bigint:
    case t.counter:
    case t.double:
    case t.timestamp:
      return 8;
    case t.uuid:
    case t.timeuuid:
      return 16;
    case t.list:
    case t.set: {
      const element = type.info as ColumnType;
      return [...(value as Iterable<unknown>)].reduce<number>((sum, v) => sum + 4 + valueBytes(element, v), 0);
    }
    case t.map: {
      const [k, v] = type.info as [ColumnType, ColumnType];
      return Object.entries(value as Record<string, unknown>).reduce<number>((sum, [key, val]) => sum + 8 + valueBytes(k, key) + valueBytes(v, val), 0);
    }
    default:
      return Buffer.byteLength(String(value), 'utf8');
  }
}

/** The value bytes of a result's rows (those `keep` selects), summed. */
export function rowValueBytes(rs: types.ResultSet, keep: (row: types.Row) => boolean = () => true): number {
  let bytes = 0;
  for (const row of rs.rows) {
    if (!keep(row)) continue;
    for (const column of rs.columns) bytes += valueBytes(column.type as ColumnType, row.get(column.name));
  }
  return bytes;
}
