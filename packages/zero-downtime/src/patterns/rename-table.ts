import { relationKind } from './catalog';
import { PatternError } from './errors';
import { inOneTransaction, note, type SqlExecutor } from './executor';
import { requirePhase } from './guards';
import { literal, parseQualified, quoteIdent, quoteQualified, siblingName } from './identifiers';

export interface RenameTableOptions {
  from: string;
  /** The new name, in the same schema as `from`. */
  to: string;
  /**
   * `expand` (pre-deploy of the release that uses the new name): rename, and leave a view under
   * the old name so version N keeps reading and writing. `cleanup` (post-deploy): drop the view.
   */
  step: 'expand' | 'cleanup';
}

/**
 * Renames a table without breaking version N: a simple `SELECT *` view is automatically
 * updatable, so N's SELECT, INSERT ... RETURNING, UPDATE and DELETE go through it unchanged.
 */
export async function renameTable(db: SqlExecutor, options: RenameTableOptions): Promise<void> {
  const target = parseQualified(options.to);
  if (target.schema && target.schema !== parseQualified(options.from).schema) {
    throw new PatternError(
      'bad-identifier',
      `renameTable: give "to" without a schema; the table stays in the schema of ${options.from}.`,
    );
  }
  if (options.step === 'expand') return expand(db, options.from, target.name);
  return cleanup(db, options.from, target.name);
}

async function expand(db: SqlExecutor, from: string, to: string): Promise<void> {
  requirePhase(
    db,
    'renameTable (expand)',
    'pre',
    `the release that uses ${to} needs the new name when it starts, and the view keeps ${from} ` +
      `working for version N during the rollout.`,
  );
  const newName = siblingName(from, to);
  const [fromKind, toKind] = [await relationKind(db, from), await relationKind(db, newName)];
  if (fromKind === 'v' && isTable(toKind)) {
    note(db, `renameTable: ${from} is already a view over ${newName}; nothing to do.`);
    return;
  }
  if (isTable(fromKind) && toKind === null) {
    await inOneTransaction(db, [
      `ALTER TABLE ${quoteQualified(from)} RENAME TO ${quoteIdent(to)}`,
      compatibilityView(from, newName),
      ...(await grantsCopiedTo(db, from, from)),
    ]);
    return;
  }
  if (fromKind === null && isTable(toKind)) {
    await inOneTransaction(db, [compatibilityView(from, newName)]);
    return;
  }
  throw new PatternError(
    'rename-table-conflict',
    `renameTable: cannot rename ${from} to ${to}: ` +
      (fromKind === null ? `${from} does not exist.` : `${newName} already exists.`),
  );
}

function compatibilityView(from: string, newName: string): string {
  return `CREATE VIEW ${quoteQualified(from)} AS SELECT * FROM ${quoteQualified(newName)}`;
}

/** The table's privileges, granted again on the view (read before the rename: same name). */
async function grantsCopiedTo(db: SqlExecutor, table: string, view: string): Promise<string[]> {
  const rows = await db.query(
    `SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END AS grantee,
            a.privilege_type AS privilege
       FROM pg_class c
       CROSS JOIN LATERAL aclexplode(c.relacl) a
       LEFT JOIN pg_roles r ON r.oid = a.grantee
      WHERE c.oid = to_regclass($1) AND a.grantee <> c.relowner`,
    [quoteQualified(table)],
  );
  return rows.map(
    (row) => `GRANT ${String(row.privilege)} ON ${quoteQualified(view)} TO ${String(row.grantee)}`,
  );
}

async function cleanup(db: SqlExecutor, from: string, to: string): Promise<void> {
  requirePhase(
    db,
    'renameTable (cleanup)',
    'post',
    `version N reads and writes ${from} through the view until every instance runs the release ` +
      `that uses ${to}.`,
  );
  const kind = await relationKind(db, from);
  if (kind === null) {
    note(db, `renameTable: the view ${from} is already gone; nothing to do.`);
    return;
  }
  if (kind !== 'v') {
    throw new PatternError(
      'not-a-view',
      `renameTable (cleanup): ${from} is a table, not the compatibility view; run the expand ` +
        `step first (renameTable(ctx, { from: ${literal(from)}, to: ${literal(to)}, step: 'expand' })).`,
    );
  }
  await db.query(`DROP VIEW IF EXISTS ${quoteQualified(from)}`);
}

function isTable(kind: string | null): boolean {
  return kind === 'r' || kind === 'p';
}
