import { columnInfo, triggerExists } from './catalog';
import { ensureNotNull } from './add-not-null';
import { copyColumnIndexes } from './copy-column-indexes';
import { PatternError } from './errors';
import { inOneTransaction, note, type SqlExecutor } from './executor';
import { fillColumn, type FillOptions } from './fill-column';
import { requireNoTransaction, requirePhase } from './guards';
import {
  bareName,
  objectName,
  quoteIdent,
  quoteQualified,
  siblingName,
  simpleHash,
} from './identifiers';

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

interface SyncObjects {
  trigger: string;
  /** Fired in this order: writes through the old column, then through the new one. */
  triggers: [string, string];
  /** The trigger function, quoted and schema-qualified like the table. */
  triggerFunction: string;
  /** The new column's default while N runs: records "this insert did not name the column". */
  omittedFunction: string;
  omittedName: string;
  /** The transaction-local setting the omitted marker and the trigger share. */
  setting: string;
}

export function syncTriggerName(sync: Pick<ColumnSync, 'table' | 'from' | 'to'>): string {
  return objectName('zdm_sync', bareName(sync.table), sync.from, sync.to);
}

function syncObjects(sync: ColumnSync): SyncObjects {
  const trigger = syncTriggerName(sync);
  const omittedName = objectName(trigger, 'omitted');
  const prefix = trigger.slice(0, 60);
  return {
    trigger,
    triggers: [`${prefix}_1`, `${prefix}_2`],
    triggerFunction: quoteQualified(siblingName(sync.table, trigger)),
    omittedFunction: quoteQualified(siblingName(sync.table, omittedName)),
    omittedName,
    setting: `zdm.sync_${simpleHash(`${sync.table}.${trigger}`).toString(36)}`,
  };
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
  if (!(await columnInfo(db, sync.table, sync.from))) throw missingOldColumn(sync);
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
  if (await columnInfo(db, sync.table, sync.to)) {
    note(db, `${sync.helper}: ${sync.table}.${sync.to} already exists; keeping it.`);
    return;
  }
  await db.query(
    `ALTER TABLE ${quoteQualified(sync.table)} ADD COLUMN IF NOT EXISTS ` +
      `${quoteIdent(sync.to)} ${sync.type}`,
  );
}

/** The value of `expression` over one column of NEW, as the backfill computes it over the table. */
function overNew(expression: string, column: string): string {
  const quoted = quoteIdent(column);
  return `(SELECT ${expression} FROM (SELECT NEW.${quoted} AS ${quoted}) AS zdm_row)`;
}

/**
 * Version N does not know the new column, so its inserts leave it to the column default: that
 * default is a function that notes "omitted" in a transaction-local setting and yields NULL.
 * It is what lets the trigger tell N's inserts apart from N+1's, even when N+1 writes NULL.
 */
function omittedFunctionSql(objects: SyncObjects): string {
  return `CREATE OR REPLACE FUNCTION ${objects.omittedFunction}() RETURNS text
LANGUAGE plpgsql VOLATILE AS $zdm_sync$
BEGIN
  PERFORM set_config('${objects.setting}', 'omitted', true);
  RETURN NULL;
END
$zdm_sync$`;
}

/**
 * BEFORE triggers only rewrite NEW, so they never fire themselves again (no recursion). The
 * first fires on INSERT and on an UPDATE that names the old column; the second, after it (names
 * sort), on an UPDATE that names the new column: `UPDATE OF` says which column a writer meant
 * even when it writes the value the column already holds (NULL over a not-yet-backfilled NULL).
 * Inserts: when the insert did not name the new column (version N), the new value is derived
 * from the old one; otherwise the new column wins, NULL included. Updates: the column written is
 * copied to the other; when both are written, the new column wins unless they already agree.
 */
function triggerFunctionSql(sync: ColumnSync, objects: SyncObjects): string {
  const [o, n] = [`NEW.${quoteIdent(sync.from)}`, `NEW.${quoteIdent(sync.to)}`];
  const oldN = `OLD.${quoteIdent(sync.to)}`;
  const up = overNew(sync.up, sync.from);
  const down = overNew(sync.down, sync.to);
  return `CREATE OR REPLACE FUNCTION ${objects.triggerFunction}() RETURNS trigger
LANGUAGE plpgsql AS $zdm_sync$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF current_setting('${objects.setting}', true) = 'omitted' THEN
      PERFORM set_config('${objects.setting}', '', true);
      ${n} := ${up};
    ELSIF ${n} IS DISTINCT FROM ${up} THEN
      ${o} := ${down};
    END IF;
  ELSIF TG_ARGV[0] = 'old' THEN
    IF ${n} IS NOT DISTINCT FROM ${oldN} THEN
      ${n} := ${up};
    END IF;
  ELSIF ${n} IS DISTINCT FROM ${up} THEN
    ${o} := ${down};
  END IF;
  RETURN NEW;
END
$zdm_sync$`;
}

function omittedDefault(sync: ColumnSync, objects: SyncObjects): string {
  return `CAST(${objects.omittedFunction}() AS ${sync.type})`;
}

function isOmittedDefault(def: string | null, objects: SyncObjects): boolean {
  return def !== null && def.includes(`${objects.omittedName}()`);
}

/** Marker default and trigger appear together: N's inserts must never meet one without the other. */
async function installTrigger(db: SqlExecutor, sync: ColumnSync) {
  const objects = syncObjects(sync);
  const table = quoteQualified(sync.table);
  const current = await columnInfo(db, sync.table, sync.to);
  const statements = [omittedFunctionSql(objects), triggerFunctionSql(sync, objects)];
  if (!isOmittedDefault(current?.default ?? null, objects)) {
    statements.push(
      `ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(sync.to)} SET DEFAULT ${omittedDefault(sync, objects)}`,
    );
  }
  const [fromOld, fromNew] = objects.triggers;
  statements.push(
    `CREATE OR REPLACE TRIGGER ${quoteIdent(fromOld)} BEFORE INSERT OR UPDATE OF ` +
      `${quoteIdent(sync.from)} ON ${table} FOR EACH ROW EXECUTE FUNCTION ` +
      `${objects.triggerFunction}('old')`,
    `CREATE OR REPLACE TRIGGER ${quoteIdent(fromNew)} BEFORE UPDATE OF ${quoteIdent(sync.to)} ` +
      `ON ${table} FOR EACH ROW EXECUTE FUNCTION ${objects.triggerFunction}('new')`,
  );
  await inOneTransaction(db, statements);
}

/**
 * Post-deploy of release N+1 (only N+1 serves): the new column takes over the old one's NOT
 * NULL; the old column becomes nullable so the next release may stop writing it.
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

/**
 * NOT NULL moves from the old column to the new one. The marker default stays until cleanup:
 * an insert that omits the new column still derives it from the old one (and its default), so
 * an instance of version N that outlives the rollout keeps working too.
 */
async function moveConstraints(db: SqlExecutor, sync: ColumnSync) {
  const old = await columnInfo(db, sync.table, sync.from);
  if (!(await columnInfo(db, sync.table, sync.to))) throw missingNewColumn(sync);
  if (!old?.notNull) return;
  await ensureNotNull(db, sync.table, sync.to);
  await db.query(
    `ALTER TABLE ${quoteQualified(sync.table)} ALTER COLUMN ${quoteIdent(sync.from)} DROP NOT NULL`,
  );
}

/** At cleanup the new column gets the old column's default (converted) instead of the marker. */
async function moveDefault(db: SqlExecutor, sync: ColumnSync) {
  const old = await columnInfo(db, sync.table, sync.from);
  const current = await columnInfo(db, sync.table, sync.to);
  if (!current || !isOmittedDefault(current.default, syncObjects(sync))) return;
  const def = old?.default ? (sync.newDefault ?? ((text: string) => text))(old.default) : null;
  await db.query(
    `ALTER TABLE ${quoteQualified(sync.table)} ALTER COLUMN ${quoteIdent(sync.to)} ` +
      (def ? `SET DEFAULT ${def}` : 'DROP DEFAULT'),
  );
}

/** Post-deploy of the release after: the default moves, the trigger, its functions and the old column go. */
export async function cleanupColumn(db: SqlExecutor, sync: ColumnSync) {
  requirePhase(
    db,
    `${sync.helper} (cleanup)`,
    'post',
    `the release before may still reference ${sync.table}.${sync.from} until the rollout ends.`,
  );
  requireNoTransaction(db, `${sync.helper} (cleanup)`, 'it finishes the contract step first.');
  await moveConstraints(db, sync);
  await moveDefault(db, sync);
  const objects = syncObjects(sync);
  const table = quoteQualified(sync.table);
  for (const trigger of objects.triggers) {
    if (await triggerExists(db, sync.table, trigger)) {
      await db.query(`DROP TRIGGER IF EXISTS ${quoteIdent(trigger)} ON ${table}`);
    }
  }
  await db.query(`DROP FUNCTION IF EXISTS ${objects.triggerFunction}()`);
  await db.query(`DROP FUNCTION IF EXISTS ${objects.omittedFunction}()`);
  await db.query(`ALTER TABLE ${table} DROP COLUMN IF EXISTS ${quoteIdent(sync.from)}`);
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
