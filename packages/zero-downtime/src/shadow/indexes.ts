import type { ClientBase } from 'pg';
import { quoteIdent } from '../patterns/identifiers';
import { inspectTable, type IndexFacts } from './inspect';
import { qualify, shadowIndexName } from './names';
import { isDone, requireDone, requireRebuild, type Rebuild } from './rebuild';
import { inTransaction, withLockRetries, type ShadowSession } from './session';
import { recordStep, type IndexRename } from './state';

/**
 * `indexes`: the original's secondary indexes rebuilt on the shadow CONCURRENTLY (a leftover
 * INVALID one is dropped first), UNIQUE constraints attached USING INDEX, the definition file's
 * own indexes, then foreign keys and checks added NOT VALID and validated. Each piece checks
 * the catalog first, so a rerun carries on where the last one stopped.
 */
export async function buildIndexes(session: ShadowSession, table: string): Promise<string> {
  const rebuild = await requireRebuild(session.client, table);
  if (isDone(rebuild, 'indexes'))
    return `${table}: indexes and constraints are built; nothing to do.`;
  requireDone(rebuild, 'backfill', 'indexes');
  const facts = await inspectTable(session.client, rebuild.live);
  const renames: IndexRename[] = [];
  for (const index of facts.indexes.filter((candidate) => !candidate.primary)) {
    renames.push(await rebuildIndex(session, rebuild, index));
  }
  for (const index of rebuild.state.definition.deferredIndexes) {
    await dropInvalid(session.client, qualify(rebuild.state.schema, index.name));
    await session.client.query(index.sql);
  }
  const shadowFacts = await inspectTable(session.client, rebuild.shadow);
  const shadowConstraints = new Set(shadowFacts.constraints.map((constraint) => constraint.name));
  for (const constraint of facts.constraints) {
    if (shadowConstraints.has(constraint.name)) continue;
    await withLockRetries(
      session,
      { table: rebuild.shadow, what: `constraint ${constraint.name}` },
      () =>
        session.client.query(
          `ALTER TABLE ${rebuild.shadow} ADD CONSTRAINT ${quoteIdent(constraint.name)} ${constraint.definition} NOT VALID`,
        ),
    );
    if (constraint.validated) {
      await session.client.query(
        `ALTER TABLE ${rebuild.shadow} VALIDATE CONSTRAINT ${quoteIdent(constraint.name)}`,
      );
    }
  }
  if (facts.primaryKey && shadowFacts.primaryKey) {
    renames.push({ original: facts.primaryKey.name, shadow: shadowFacts.primaryKey.name });
  }
  await inTransaction(session.client, () =>
    recordStep(session.client, rebuild.state, 'indexes', {
      index_renames: JSON.stringify(renames),
    }),
  );
  const built =
    renames.length - (facts.primaryKey ? 1 : 0) + rebuild.state.definition.deferredIndexes.length;
  return `${table}: ${built} secondary indexes and ${facts.constraints.length} constraints on ${rebuild.shadow}. Next: verify.`;
}

async function rebuildIndex(
  session: ShadowSession,
  rebuild: Rebuild,
  index: IndexFacts,
): Promise<IndexRename> {
  const name = shadowIndexName(index.name);
  const qualified = qualify(rebuild.state.schema, name);
  const { rows } = await session.client.query(
    `SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass($1)`,
    [qualified],
  );
  if (!rows[0]?.valid) {
    await dropInvalid(session.client, qualified);
    await session.client.query(
      `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY IF NOT EXISTS ${quoteIdent(name)} ` +
        `ON ${rebuild.shadow}${index.tail}`,
    );
  }
  if (index.constraint?.type === 'u') await attachUnique(session, rebuild, name);
  return { original: index.name, shadow: name };
}

async function attachUnique(session: ShadowSession, rebuild: Rebuild, name: string) {
  const { rows } = await session.client.query(
    `SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass($1) AND conname = $2`,
    [rebuild.shadow, name],
  );
  if (rows.length) return;
  await withLockRetries(session, { table: rebuild.shadow, what: `unique constraint ${name}` }, () =>
    session.client.query(
      `ALTER TABLE ${rebuild.shadow} ADD CONSTRAINT ${quoteIdent(name)} UNIQUE USING INDEX ${quoteIdent(name)}`,
    ),
  );
}

async function dropInvalid(client: ClientBase, qualified: string) {
  const { rows } = await client.query(
    `SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass($1)`,
    [qualified],
  );
  if (rows[0] && !rows[0].valid)
    await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${qualified}`);
}
