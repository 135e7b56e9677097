import { columnInfo } from './catalog';
import { note, type SqlExecutor } from './executor';
import { requirePhase } from './guards';
import { quoteIdent, quoteQualified } from './identifiers';

export interface DropColumnOptions {
  table: string;
  column: string;
}

/**
 * `DROP COLUMN IF EXISTS`, post-deploy only: Sequelize lists every model attribute in SELECT
 * and INSERT ... RETURNING, so version N breaks the moment the column goes.
 */
export async function dropColumn(db: SqlExecutor, options: DropColumnOptions): Promise<void> {
  const { table, column } = options;
  requirePhase(
    db,
    'dropColumn',
    'post',
    `version N still selects ${table}.${column} (Sequelize names every attribute), so dropping ` +
      `it before the rollout breaks N at once. Remove \`${column}\` from the model in release ` +
      `N+1, then drop the column in migrations/post-deploy/.`,
  );
  await db.query(
    `ALTER TABLE ${quoteQualified(table)} DROP COLUMN IF EXISTS ${quoteIdent(column)}`,
  );
}

/**
 * The pre-deploy half of removing a column: a NOT NULL column without a default would make
 * release N+1's inserts (which no longer set it) fail, so it loses NOT NULL first.
 */
export async function prepareDropColumn(
  db: SqlExecutor,
  options: DropColumnOptions,
): Promise<void> {
  const { table, column } = options;
  const info = await columnInfo(db, table, column);
  if (!info || !info.notNull || info.default !== null) {
    note(db, `prepareDropColumn: ${table}.${column} accepts inserts without it; nothing to do.`);
    return;
  }
  await db.query(
    `ALTER TABLE ${quoteQualified(table)} ALTER COLUMN ${quoteIdent(column)} DROP NOT NULL`,
  );
}
