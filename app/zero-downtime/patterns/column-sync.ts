import { columnInfo, triggerExists } from './catalog';
import { ensureNotNull } from './add-not-null';
import { copyColumnIndexes } from './copy-column-indexes';
import { PatternError } from './errors';
import { inOneTransaction, note, type SqlExecutor } from './executor';
import { fillColumn, type FillOptions } from './fill-column';
import { requireNoTransaction, requirePhase } from './guards';
import { bareName, objectName, quoteIdent, quoteQualified, siblingName } from './identifiers';

/**
 * The machinery shared by renameColumn and changeColumnType: a new column kept in sync with the
 * old one in both directions by a trigger, so version N (old column only) and N+1 (new column
 * only) both read and write correct data while they serve side by side.
 */
export interface ColumnSync {
  helper: string;
  table: string;
  from: string;
  to: string;
  /** The new column's type. */
  type: string;
  /** SQL giving the new value; may reference only the old column, by its name. */
  up: string;
  /** SQL giving the old value; may reference only the new column, by its name. */
  down: string;
  /** The new column's default once version N is gone (the old default, converted). */
  newDefault?: (oldDefault: string) => string;
}

export type SyncStep = 'expand' | 'contract' | 'cleanup';

export function syncTriggerName(sync: Pick<ColumnSync, 'table' | 'from' | 'to'>): string {
  return objectName('zdm_sync', bareName(sync.table), sync.from, sync.to);
}

/** Pre-deploy: new column, sync trigger, backfill, the old column's indexes copied. */
export async function expandColumn(db: SqlExecutor, sync: ColumnSync, fill: FillOptions = {}) {
  requirePhase(
    db,
    `${sync.helper} (expand)`,
    'pre',
    `the new column and its trigger must exist before release N+1 starts using ${sync.to}.`,
  );
  requireNoTransaction(
    db,
    `${sync.helper} (expand)`,
    `the backfill of ${sync.table}.${sync.to} commits batch by batch and its indexes are built ` +
      'CONCURRENTLY.',
  );
  const old = await columnInfo(db, sync.table, sync.from);
  if (!old) throw missingOldColumn(sync);
  await addNewColumn(db, sync);
  await installTrigger(db, sync);
  await fillColumn(db, {
    table: sync.table,
    name: `${syncTriggerName(sync)}_backfill`,
    set: `${quoteIdent(sync.to)} = (${sync.up})`,
    where: `${quoteIdent(sync.to)} IS DISTINCT FROM (${sync.up})`,
    ...fill,
  });
  await copyColumnIndexes(db, sync.table, sync.from, sync.to);
}

async function addNewColumn(db: SqlExecutor, sync: ColumnSync) {
  const existing = await columnInfo(db, sync.table, sync.to);
  if (existing) {
    note(db, `${sync.helper}: ${sync.table}.${sync.to} already exists; keeping it.`);
    return;
  }
  // No default while version N runs: N's inserts must leave the new column NULL, which is how
  // the trigger tells an old-version insert from a new-version one.
  await db.query(
    `ALTER TABLE ${quoteQualified(sync.table)} ADD COLUMN IF NOT EXISTS ${quoteIdent(sync.to)} ${sync.type}`,
  );
}

/** The value of `expression` over one column of NEW, as the backfill computes it over the table. */
function overNew(expression: string, column: string): string {
  const quoted = quoteIdent(column);
  return `(SELECT ${expression} FROM (SELECT NEW.${quoted} AS ${quoted}) AS zdm_row)`;
}

/**
 * A BEFORE trigger only rewrites NEW, so it never fires itself again (no recursion). Inserts:
 * a NULL new column means an old-version writer (it does not know the column), so the new value
 * is derived from the old; otherwise the new column wins. Updates: whichever column changed is
 * copied to the other; when both changed, the new column wins unless they already agree. A row
 * touched before the backfill reached it gets its new value on the way.
 */
function triggerFunctionSql(sync: ColumnSync, functionName: string): string {
  const [o, n] = [`NEW.${quoteIdent(sync.from)}`, `NEW.${quoteIdent(sync.to)}`];
  const [oldO, oldN] = [`OLD.${quoteIdent(sync.from)}`, `OLD.${quoteIdent(sync.to)}`];
  const up = overNew(sync.up, sync.from);
  const down = overNew(sync.down, sync.to);
  return `CREATE OR REPLACE FUNCTION ${functionName}() RETURNS trigger
LANGUAGE plpgsql AS $zdm_sync$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF ${n} IS NULL THEN
      ${n} := ${up};
    ELSIF ${n} IS DISTINCT FROM ${up} THEN
      ${o} := ${down};
    END IF;
  ELSIF ${o} IS DISTINCT FROM ${oldO} AND ${n} IS NOT DISTINCT FROM ${oldN} THEN
    ${n} := ${up};
  ELSIF ${n} IS DISTINCT FROM ${oldN} THEN
    IF ${n} IS DISTINCT FROM ${up} THEN
      ${o} := ${down};
    END IF;
  ELSIF ${n} IS NULL AND ${o} IS NOT NULL THEN
    ${n} := ${up};
  END IF;
  RETURN NEW;
END
$zdm_sync$`;
}

async function installTrigger(db: SqlExecutor, sync: ColumnSync) {
  const name = syncTriggerName(sync);
  const functionName = quoteQualified(siblingName(sync.table, name));
  await inOneTransaction(db, [
    triggerFunctionSql(sync, functionName),
    `CREATE OR REPLACE TRIGGER ${quoteIdent(name)} BEFORE INSERT OR UPDATE ON ` +
      `${quoteQualified(sync.table)} FOR EACH ROW EXECUTE FUNCTION ${functionName}()`,
  ]);
}

/**
 * Post-deploy of release N+1 (only N+1 serves): the new column takes over the old one's NOT
 * NULL and default; the old column becomes nullable so the next release may stop writing it.
 */
export async function contractColumn(db: SqlExecutor, sync: ColumnSync) {
  requirePhase(
    db,
    `${sync.helper} (contract)`,
    'post',
    `version N still writes only ${sync.table}.${sync.from} during the rollout.`,
  );
  requireNoTransaction(
    db,
    `${sync.helper} (contract)`,
    `NOT NULL moves to ${sync.to} through a check validated in its own transaction.`,
  );
  await moveConstraints(db, sync);
}

async function moveConstraints(db: SqlExecutor, sync: ColumnSync) {
  const [old, current] = [
    await columnInfo(db, sync.table, sync.from),
    await columnInfo(db, sync.table, sync.to),
  ];
  if (!current) throw missingNewColumn(sync);
  if (!old) return;
  const table = quoteQualified(sync.table);
  if (old.default !== null && current.default === null) {
    const def = sync.newDefault ? sync.newDefault(old.default) : old.default;
    await db.query(`ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(sync.to)} SET DEFAULT ${def}`);
  }
  if (old.notNull) {
    await ensureNotNull(db, sync.table, sync.to);
    await db.query(`ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(sync.from)} DROP NOT NULL`);
  }
}

/** Post-deploy of the release after: the trigger, its function and the old column go. */
export async function cleanupColumn(db: SqlExecutor, sync: ColumnSync) {
  requirePhase(
    db,
    `${sync.helper} (cleanup)`,
    'post',
    `the release before may still reference ${sync.table}.${sync.from} until the rollout ends.`,
  );
  requireNoTransaction(db, `${sync.helper} (cleanup)`, 'it finishes the contract step first.');
  await moveConstraints(db, sync);
  const name = syncTriggerName(sync);
  if (await triggerExists(db, sync.table, name)) {
    await db.query(`DROP TRIGGER IF EXISTS ${quoteIdent(name)} ON ${quoteQualified(sync.table)}`);
  }
  await db.query(`DROP FUNCTION IF EXISTS ${quoteQualified(siblingName(sync.table, name))}()`);
  await db.query(
    `ALTER TABLE ${quoteQualified(sync.table)} DROP COLUMN IF EXISTS ${quoteIdent(sync.from)}`,
  );
}

function missingOldColumn(sync: ColumnSync): PatternError {
  return new PatternError(
    'missing-column',
    `${sync.helper}: ${sync.table}.${sync.from} does not exist, so there is nothing to copy ` +
      `into ${sync.to}.`,
  );
}

function missingNewColumn(sync: ColumnSync): PatternError {
  return new PatternError(
    'missing-column',
    `${sync.helper}: ${sync.table}.${sync.to} does not exist; run the expand step first, in ` +
      `a pre-deploy migration.`,
  );
}
