import type { ClientBase } from 'pg';
import { quoteIdent } from '../patterns/identifiers';
import { buildDefinition, type DefinitionInput } from './definition';
import { ShadowError } from './errors';
import { columnsOf, inspectTable, refuseUncarriable, type TableFacts } from './inspect';
import { qualify, rebuildNames } from './names';
import { openRebuild } from './rebuild';
import { withLockRetries, type ShadowSession } from './session';
import { insertState, type RebuildState } from './state';

/**
 * `create`: the shadow table with the new definition (no secondary indexes yet), its grants,
 * and the rebuild's state row, in one transaction. Refuses up front what cannot be carried.
 */
export async function createShadow(
  session: ShadowSession,
  table: string,
  input: DefinitionInput,
): Promise<string> {
  const existing = await openRebuild(session.client, table);
  if (existing) {
    const source = input.alter ?? input.sql;
    if (source === existing.state.definition.source)
      return `${table}: the shadow table already exists; nothing to do.`;
    throw new ShadowError(
      'rebuild-in-progress',
      `A rebuild of ${table} with another definition is in progress (${existing.state.done} done). ` +
        `See npm run db:shadow -- ${table} status; abandon it with cleanup --abandon before starting another.`,
    );
  }
  const facts = await inspectTable(session.client, table);
  refuseUncarriable(facts);
  const names = rebuildNames(facts.schema, facts.name);
  const definition = await buildDefinition(facts, names, input);
  const shadow = qualify(facts.schema, names.shadow);
  await withLockRetries(session, { table: facts.qualified, what: 'create' }, async () => {
    for (const sql of definition.create) await session.client.query(sql);
    const shadowOid = await oidOf(session.client, shadow);
    const keyColumns = await shadowKey(session.client, shadowOid, facts);
    const columns = await copiedColumns(session.client, shadowOid, facts);
    await checkConversions(session.client, facts, shadow, columns);
    await checkViews(session.client, facts, shadowOid);
    for (const grant of facts.grants) {
      await session.client.query(`GRANT ${grant.privilege} ON ${shadow} TO ${grant.grantee}`);
    }
    const state: RebuildState = {
      table: facts.name,
      schema: facts.schema,
      shadow: names.shadow,
      old: names.old,
      definition,
      keyColumns,
      columns,
      done: 'create',
      swapped: false,
      backfillUpperKey: null,
      backfillLastKey: null,
      backfillRows: 0,
      backfillBatches: 0,
      indexRenames: [],
      mirrorError: null,
      history: [],
    };
    await insertState(session.client, state);
  });
  return `${table}: created ${shadow} (${definition.kind === 'alter' ? 'a copy of the table with the ALTER applied' : 'from the definition file'}). Next: triggers.`;
}

async function oidOf(client: ClientBase, relation: string): Promise<number> {
  const { rows } = await client.query(`SELECT to_regclass($1)::oid::int AS oid`, [relation]);
  if (!rows[0].oid)
    throw new ShadowError('bad-definition', `The definition did not create ${relation}.`);
  return rows[0].oid;
}

async function shadowKey(client: ClientBase, oid: number, facts: TableFacts): Promise<string[]> {
  const { rows } = await client.query(
    `SELECT array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i)::text[] AS columns
       FROM pg_constraint c WHERE c.conrelid = $1 AND c.contype = 'p'`,
    [oid],
  );
  const key: string[] | undefined = rows[0]?.columns;
  const originalColumns = new Set(facts.columns.map((column) => column.name));
  if (!key || key.some((column) => !originalColumns.has(column))) {
    throw new ShadowError(
      'bad-definition',
      `The new definition needs a primary key made of columns ${facts.qualified} already has: ` +
        'rows are mirrored, copied and compared by it.',
    );
  }
  return key;
}

/** Columns both tables have, except those the new table computes itself. */
async function copiedColumns(
  client: ClientBase,
  oid: number,
  facts: TableFacts,
): Promise<string[]> {
  const original = new Set(facts.columns.map((column) => column.name));
  return (await columnsOf(client, oid))
    .filter((column) => column.generated === '' && original.has(column.name))
    .map((column) => column.name);
}

/** Every copied column must convert on assignment, or the mirror would fail on live writes. */
async function checkConversions(
  client: ClientBase,
  facts: TableFacts,
  shadow: string,
  columns: string[],
) {
  const list = columns.map(quoteIdent).join(', ');
  try {
    await client.query('SAVEPOINT zdm_conversions');
    await client.query(
      `INSERT INTO ${shadow} (${list}) OVERRIDING SYSTEM VALUE SELECT ${list} FROM ${facts.qualified} WHERE false`,
    );
    await client.query('RELEASE SAVEPOINT zdm_conversions');
  } catch (error) {
    throw new ShadowError(
      'bad-definition',
      `Rows of ${facts.qualified} cannot be written into the new definition as they are: ` +
        `${(error as Error).message}. Only changes PostgreSQL converts on assignment (e.g. ` +
        'integer to bigint, varchar to text) can be rebuilt this way.',
    );
  }
}

/**
 * A view reading a column the new definition drops cannot be carried to the new table; nor can
 * one whose column changes type while other views depend on it (it must be recreated).
 */
async function checkViews(client: ClientBase, facts: TableFacts, shadowOid: number) {
  const { rows } = await client.query(
    `SELECT DISTINCT v.oid::regclass::text AS view, a.attname AS column,
            format_type(a.atttypid, a.atttypmod) AS type,
            (SELECT format_type(s.atttypid, s.atttypmod) FROM pg_attribute s
              WHERE s.attrelid = $2 AND s.attname = a.attname AND NOT s.attisdropped) AS new_type,
            EXISTS (SELECT 1 FROM pg_depend dd JOIN pg_rewrite rr ON rr.oid = dd.objid
                     WHERE dd.refobjid = v.oid AND dd.classid = 'pg_rewrite'::regclass
                       AND rr.ev_class <> v.oid) AS has_dependents
       FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class
       JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
      WHERE d.refobjid = $1 AND d.classid = 'pg_rewrite'::regclass AND d.refobjsubid > 0
        AND v.oid <> $1`,
    [facts.oid, shadowOid],
  );
  const broken = rows.filter(
    (row) => row.new_type === null || (row.type !== row.new_type && row.has_dependents),
  );
  if (broken.length === 0) return;
  throw new ShadowError(
    'cannot-carry',
    `Views read columns the new definition drops (or retypes, under views of their own), so ` +
      `they cannot be moved to the new table: ${broken.map((row) => `${row.view} (${row.column}: ${row.type} -> ${row.new_type ?? 'dropped'})`).join(', ')}. ` +
      'Drop those views before the rebuild and recreate them after the swap.',
  );
}
