import { columnList, literal, quoteIdent } from '../patterns/identifiers';
import { STATE_TABLE } from './state';

/**
 * The row mirror between two tables: an AFTER trigger that upserts the written row by primary
 * key (deleting the old key first when an UPDATE changed it) and deletes by key. A failure
 * inside the mirror never fails the application's write: it is recorded in the rebuild's state,
 * and verify / swap / swap-back refuse until it is dealt with.
 */
export interface MirrorSpec {
  functionName: string;
  truncateFunctionName: string;
  target: string;
  keyColumns: string[];
  columns: string[];
  stateKey: string;
}

export function mirrorFunctionSql(spec: MirrorSpec): string {
  const keyMatch = spec.keyColumns
    .map((key) => `${quoteIdent(key)} = OLD.${quoteIdent(key)}`)
    .join(' AND ');
  const oldKey = spec.keyColumns.map((key) => `OLD.${quoteIdent(key)}`).join(', ');
  const newKey = spec.keyColumns.map((key) => `NEW.${quoteIdent(key)}`).join(', ');
  const values = spec.columns.map((column) => `NEW.${quoteIdent(column)}`).join(', ');
  const updates = spec.columns
    .filter((column) => !spec.keyColumns.includes(column))
    .map((column) => `${quoteIdent(column)} = EXCLUDED.${quoteIdent(column)}`);
  const onConflict = updates.length ? `DO UPDATE SET ${updates.join(', ')}` : 'DO NOTHING';
  return `CREATE OR REPLACE FUNCTION ${spec.functionName}() RETURNS trigger
LANGUAGE plpgsql AS $zdm_shadow$
BEGIN
  BEGIN
    IF TG_OP = 'DELETE' THEN
      DELETE FROM ${spec.target} WHERE ${keyMatch};
    ELSE
      IF TG_OP = 'UPDATE' AND ROW(${oldKey}) IS DISTINCT FROM ROW(${newKey}) THEN
        DELETE FROM ${spec.target} WHERE ${keyMatch};
      END IF;
      INSERT INTO ${spec.target} (${columnList(spec.columns)}) OVERRIDING SYSTEM VALUE
        VALUES (${values})
        ON CONFLICT (${columnList(spec.keyColumns)}) ${onConflict};
    END IF;
  EXCEPTION WHEN OTHERS THEN
    UPDATE ${STATE_TABLE}
       SET mirror_error = coalesce(mirror_error, TG_TABLE_NAME || ' -> ${spec.target.replace(/'/g, "''")}: ' || SQLERRM)
     WHERE table_name = ${literal(spec.stateKey)};
  END;
  RETURN NULL;
END
$zdm_shadow$`;
}

export function truncateFunctionSql(spec: MirrorSpec): string {
  return `CREATE OR REPLACE FUNCTION ${spec.truncateFunctionName}() RETURNS trigger
LANGUAGE plpgsql AS $zdm_shadow$
BEGIN
  TRUNCATE ${spec.target};
  RETURN NULL;
END
$zdm_shadow$`;
}

export function mirrorTriggersSql(
  source: string,
  names: { row: string; truncate: string },
  spec: MirrorSpec,
): string[] {
  return [
    mirrorFunctionSql(spec),
    truncateFunctionSql(spec),
    `CREATE OR REPLACE TRIGGER ${quoteIdent(names.row)} AFTER INSERT OR UPDATE OR DELETE ON ${source} ` +
      `FOR EACH ROW EXECUTE FUNCTION ${spec.functionName}()`,
    `CREATE OR REPLACE TRIGGER ${quoteIdent(names.truncate)} AFTER TRUNCATE ON ${source} ` +
      `FOR EACH STATEMENT EXECUTE FUNCTION ${spec.truncateFunctionName}()`,
    `ALTER TABLE ${source} ENABLE TRIGGER ${quoteIdent(names.row)}`,
    `ALTER TABLE ${source} ENABLE TRIGGER ${quoteIdent(names.truncate)}`,
  ];
}
