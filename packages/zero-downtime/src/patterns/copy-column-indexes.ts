import { addIndex } from './add-index';
import { note, type SqlExecutor } from './executor';
import { objectName, quoteQualified } from './identifiers';

interface IndexShape {
  name: string;
  unique: boolean;
  method: string;
  keys: string[];
  include: string[];
  plain: boolean;
}

/**
 * Release N+1 queries the new column as N queried the old one, so every index on the old
 * column gets a twin on the new one, built concurrently. Expression and partial indexes can't
 * be rewritten safely by name substitution: they are reported, to recreate by hand.
 */
export async function copyColumnIndexes(db: SqlExecutor, table: string, from: string, to: string) {
  for (const index of await indexesOn(db, table, from)) {
    if (!index.plain) {
      note(
        db,
        `Index ${index.name} uses ${from} in an expression or predicate: recreate it for ${to} by hand.`,
      );
      continue;
    }
    const swap = (column: string) => (column === from ? to : column);
    await addIndex(db, {
      table,
      name: twinName(index.name, from, to),
      columns: index.keys.map(swap),
      include: index.include.map(swap),
      unique: index.unique,
      using: index.method,
    });
  }
}

function twinName(name: string, from: string, to: string): string {
  const segment = new RegExp(`(^|_)${from.replace(/[^a-zA-Z0-9_]/g, '\\$&')}(?=_|$)`);
  return segment.test(name) ? objectName(name.replace(segment, `$1${to}`)) : objectName(name, to);
}

async function indexesOn(db: SqlExecutor, table: string, column: string): Promise<IndexShape[]> {
  const rows = await db.query(
    `SELECT c.relname AS name, i.indisunique AS unique, am.amname AS method,
            array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
                    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                   WHERE k.position <= i.indnkeyatts ORDER BY k.position)::text[] AS keys,
            array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
                    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                   WHERE k.position > i.indnkeyatts ORDER BY k.position)::text[] AS include,
            (i.indexprs IS NULL AND i.indpred IS NULL
              AND NOT EXISTS (SELECT 1 FROM unnest(i.indoption) AS o(flag) WHERE o.flag <> 0)) AS plain
       FROM pg_index i
       JOIN pg_class c ON c.oid = i.indexrelid
       JOIN pg_am am ON am.oid = c.relam
      WHERE i.indrelid = to_regclass($1) AND NOT i.indisprimary AND i.indisvalid
        AND (EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = i.indrelid
                      AND a.attname = $2 AND a.attnum = ANY (i.indkey))
             OR concat(pg_get_expr(i.indexprs, i.indrelid), ' ', pg_get_expr(i.indpred, i.indrelid))
                ~ ('\\m' || $2 || '\\M'))
      ORDER BY c.relname`,
    [quoteQualified(table), column],
  );
  return rows.map((row) => ({
    name: String(row.name),
    unique: Boolean(row.unique),
    method: String(row.method),
    keys: row.keys as string[],
    include: row.include as string[],
    plain: Boolean(row.plain),
  }));
}
