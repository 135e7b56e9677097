import type { ClientBase } from 'pg';
import { quoteIdent } from '../patterns/identifiers';
import { ShadowError } from './errors';
import { inspectTable, type InboundForeignKey, type TableFacts } from './inspect';
import { mirrorTriggersSql } from './mirror';
import {
  FORWARD_TRIGGER,
  FORWARD_TRUNCATE_TRIGGER,
  oldIndexName,
  qualify,
  REVERSE_TRIGGER,
  REVERSE_TRUNCATE_TRIGGER,
} from './names';
import { isDone, refuseMirrorError, requireDone, requireRebuild, type Rebuild } from './rebuild';
import { withLockRetries, type LockRetryOptions, type ShadowSession } from './session';
import { recordStep } from './state';

export interface SwapOptions {
  lockTimeoutMs?: number;
  retries?: number;
}

interface CarriedView {
  name: string;
  definition: string;
  grants: string[];
}

interface Carried {
  views: CarriedView[];
  foreignKeys: InboundForeignKey[];
  sequences: { column: string; from: string | null; to: string | null }[];
}

/**
 * `swap`: in one short transaction under a small lock_timeout (retried with backoff), the
 * original takes the `_zdm_old` name and the shadow takes the table's name; index names follow,
 * sequences change owner (or are advanced), views and inbound foreign keys are moved to the new
 * table, the forward mirror stops and the reverse mirror (new into old) starts, so swap-back
 * loses nothing. Inbound foreign keys come back NOT VALID and are validated right after.
 */
export async function swap(session: ShadowSession, table: string, options: SwapOptions = {}) {
  const rebuild = await requireRebuild(session.client, table);
  if (rebuild.state.swapped) return `${table}: already swapped; nothing to do.`;
  if (isDone(rebuild, 'cleanup')) return `${table}: the rebuild is finished; nothing to do.`;
  requireDone(rebuild, 'verify', 'swap');
  refuseMirrorError(rebuild, 'swap');
  const current = await inspectTable(session.client, rebuild.live);
  const next = await inspectTable(session.client, rebuild.shadow);
  const carried = await whatToCarry(session.client, current, next);
  const { names, state } = rebuild;
  const lock = lockOptions(rebuild, options, 'swap');
  await withLockRetries(session, lock, async () => {
    const run = (sql: string) => session.client.query(sql);
    await run(`LOCK TABLE ${rebuild.live}, ${rebuild.shadow} IN ACCESS EXCLUSIVE MODE`);
    await advanceSequences(session.client, carried);
    await run(`ALTER TABLE ${rebuild.live} RENAME TO ${quoteIdent(names.old)}`);
    await run(`ALTER TABLE ${rebuild.shadow} RENAME TO ${quoteIdent(names.table)}`);
    for (const rename of state.indexRenames) {
      await run(
        `ALTER INDEX ${qualify(names.schema, rename.original)} RENAME TO ${quoteIdent(oldIndexName(rename.original))}`,
      );
    }
    for (const rename of state.indexRenames) {
      await run(
        `ALTER INDEX ${qualify(names.schema, rename.shadow)} RENAME TO ${quoteIdent(rename.original)}`,
      );
    }
    await moveDependents(session.client, rebuild.live, carried);
    await run(`ALTER TABLE ${rebuild.old} DISABLE TRIGGER ${FORWARD_TRIGGER}`);
    await run(`ALTER TABLE ${rebuild.old} DISABLE TRIGGER ${FORWARD_TRUNCATE_TRIGGER}`);
    const reverseColumns = reverseCopyable(state.columns, current);
    for (const sql of mirrorTriggersSql(
      rebuild.live,
      { row: REVERSE_TRIGGER, truncate: REVERSE_TRUNCATE_TRIGGER },
      {
        functionName: qualify(names.schema, names.reverseFunction),
        truncateFunctionName: qualify(names.schema, `${names.reverseFunction}_truncate`),
        target: rebuild.old,
        keyColumns: state.keyColumns,
        columns: reverseColumns,
        stateKey: rebuild.key,
      },
    )) {
      await run(sql);
    }
    await recordStep(session.client, state, 'swap', { swapped: true });
  });
  await validateForeignKeys(session.client, carried.foreignKeys);
  return (
    `${table}: swapped. ${rebuild.live} is the new table; the old one is ${rebuild.old}, kept in ` +
    `sync by reverse triggers. Deploy and watch; swap-back returns to the old table, cleanup (post-deploy) drops it.`
  );
}

/** `swap-back`: the same exchange in reverse; the forward mirror resumes, the reverse one stops. */
export async function swapBack(session: ShadowSession, table: string, options: SwapOptions = {}) {
  const rebuild = await requireRebuild(session.client, table);
  if (isDone(rebuild, 'cleanup')) {
    throw new ShadowError(
      'cleaned-up',
      `${table}: the old table was dropped by cleanup; there is nothing to swap back to.`,
    );
  }
  if (!rebuild.state.swapped) return `${table}: not swapped; nothing to do.`;
  refuseMirrorError(rebuild, 'swap-back');
  const current = await inspectTable(session.client, rebuild.live);
  const previous = await inspectTable(session.client, rebuild.old);
  const carried = await whatToCarry(session.client, current, previous);
  const { names, state } = rebuild;
  await withLockRetries(session, lockOptions(rebuild, options, 'swap-back'), async () => {
    const run = (sql: string) => session.client.query(sql);
    await run(`LOCK TABLE ${rebuild.live}, ${rebuild.old} IN ACCESS EXCLUSIVE MODE`);
    await advanceSequences(session.client, carried);
    await run(`ALTER TABLE ${rebuild.live} RENAME TO ${quoteIdent(names.shadow)}`);
    await run(`ALTER TABLE ${rebuild.old} RENAME TO ${quoteIdent(names.table)}`);
    for (const rename of state.indexRenames) {
      await run(
        `ALTER INDEX ${qualify(names.schema, rename.original)} RENAME TO ${quoteIdent(rename.shadow)}`,
      );
    }
    for (const rename of state.indexRenames) {
      await run(
        `ALTER INDEX ${qualify(names.schema, oldIndexName(rename.original))} RENAME TO ${quoteIdent(rename.original)}`,
      );
    }
    await moveDependents(session.client, rebuild.live, carried);
    await run(`ALTER TABLE ${rebuild.shadow} DISABLE TRIGGER ${REVERSE_TRIGGER}`);
    await run(`ALTER TABLE ${rebuild.shadow} DISABLE TRIGGER ${REVERSE_TRUNCATE_TRIGGER}`);
    await run(`ALTER TABLE ${rebuild.live} ENABLE TRIGGER ${FORWARD_TRIGGER}`);
    await run(`ALTER TABLE ${rebuild.live} ENABLE TRIGGER ${FORWARD_TRUNCATE_TRIGGER}`);
    await recordStep(session.client, state, 'swap-back', { swapped: false });
  });
  await validateForeignKeys(session.client, carried.foreignKeys);
  return `${table}: swapped back; ${rebuild.live} is the original table again, the new one waits as ${rebuild.shadow} (still mirrored). Next: swap, when ready.`;
}

function lockOptions(rebuild: Rebuild, options: SwapOptions, what: string): LockRetryOptions {
  return {
    table: rebuild.live,
    what,
    lockTimeoutMs: options.lockTimeoutMs ?? 200,
    retries: options.retries ?? 20,
  };
}

/** The new table must not receive a generated column's value from the old one, nor vice versa. */
function reverseCopyable(columns: string[], original: TableFacts): string[] {
  const generated = new Set(
    original.columns.filter((column) => column.generated !== '').map((c) => c.name),
  );
  return columns.filter((column) => !generated.has(column));
}

/** Read before the renames: view definitions and constraint definitions still spell the table's name. */
async function whatToCarry(client: ClientBase, from: TableFacts, to: TableFacts): Promise<Carried> {
  const views: CarriedView[] = [];
  for (const view of from.views.filter((candidate) => candidate.kind === 'v')) {
    const { rows } = await client.query(
      `SELECT pg_get_viewdef(to_regclass($1), true) AS definition,
              array(SELECT format('GRANT %s ON %s TO %s', a.privilege_type, $1,
                             CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END)
                      FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
                      LEFT JOIN pg_roles r ON r.oid = a.grantee
                     WHERE c.oid = to_regclass($1) AND a.grantee <> c.relowner)::text[] AS grants`,
      [view.name],
    );
    views.push({ name: view.name, definition: rows[0].definition, grants: rows[0].grants });
  }
  const toColumns = new Set(to.columns.map((column) => column.name));
  const sequences = [];
  for (const column of from.columns.filter((candidate) => toColumns.has(candidate.name))) {
    const { rows } = await client.query(
      `SELECT pg_get_serial_sequence($1, $3) AS "from", pg_get_serial_sequence($2, $3) AS "to"`,
      [from.qualified, to.qualified, column.name],
    );
    if (rows[0].from || rows[0].to) sequences.push({ column: column.name, ...rows[0] });
  }
  return { views, foreignKeys: from.inboundForeignKeys, sequences };
}

/** A shared sequence changes owner later; a sequence of its own is advanced to the other's position. */
async function advanceSequences(client: ClientBase, carried: Carried) {
  for (const sequence of carried.sequences) {
    if (!sequence.from || !sequence.to || sequence.from === sequence.to) continue;
    await client.query(
      `SELECT setval(to_regclass($1), greatest(s.last_value, 1), s.is_called) FROM ${sequence.from} s`,
      [sequence.to],
    );
  }
}

async function moveDependents(client: ClientBase, live: string, carried: Carried) {
  for (const sequence of carried.sequences) {
    if (sequence.from && sequence.from === sequence.to) continue;
    if (sequence.from && !sequence.to) {
      await client.query(
        `ALTER SEQUENCE ${sequence.from} OWNED BY ${live}.${quoteIdent(sequence.column)}`,
      );
    }
  }
  for (const key of carried.foreignKeys) {
    await client.query(`ALTER TABLE ${key.table} DROP CONSTRAINT ${quoteIdent(key.name)}`);
    await client.query(
      `ALTER TABLE ${key.table} ADD CONSTRAINT ${quoteIdent(key.name)} ${key.definition} NOT VALID`,
    );
  }
  for (const view of carried.views) await recreateView(client, view);
}

/** CREATE OR REPLACE keeps grants and dependents; a retyped column needs the view dropped first. */
async function recreateView(client: ClientBase, view: CarriedView) {
  await client.query('SAVEPOINT zdm_view');
  try {
    await client.query(`CREATE OR REPLACE VIEW ${view.name} AS ${view.definition}`);
    await client.query('RELEASE SAVEPOINT zdm_view');
  } catch (error) {
    if ((error as { code?: string }).code !== '42P16') throw error;
    await client.query('ROLLBACK TO SAVEPOINT zdm_view');
    await client.query(`DROP VIEW ${view.name}`);
    await client.query(`CREATE VIEW ${view.name} AS ${view.definition}`);
    for (const grant of view.grants) await client.query(grant);
  }
}

async function validateForeignKeys(client: ClientBase, keys: InboundForeignKey[]) {
  for (const key of keys.filter((candidate) => candidate.validated)) {
    await client.query(`ALTER TABLE ${key.table} VALIDATE CONSTRAINT ${quoteIdent(key.name)}`);
  }
}
