import type { ClientBase } from 'pg';
import { quoteQualified } from '../patterns/identifiers';
import { ShadowError } from './errors';

/** What a rebuild needs to know about a table, read from the catalog. */
export interface ColumnFacts {
  name: string;
  type: string;
  /** '' or 's' (stored generated): generated columns are computed, never copied into. */
  generated: string;
  identity: string;
}

export interface IndexFacts {
  name: string;
  /** `USING btree (email) WHERE ...`: the definition after the table name. */
  tail: string;
  unique: boolean;
  primary: boolean;
  /** The UNIQUE / PRIMARY KEY / EXCLUDE constraint the index backs, if any. */
  constraint: { name: string; type: string } | null;
}

export interface ConstraintFacts {
  name: string;
  type: string;
  definition: string;
  validated: boolean;
  selfReference: boolean;
}

export interface InboundForeignKey {
  name: string;
  /** The referencing table, quoted and qualified. */
  table: string;
  definition: string;
  validated: boolean;
}

export interface ViewFacts {
  name: string;
  kind: string;
}

export interface TableFacts {
  oid: number;
  schema: string;
  name: string;
  qualified: string;
  primaryKey: { name: string; columns: string[] } | null;
  columns: ColumnFacts[];
  indexes: IndexFacts[];
  constraints: ConstraintFacts[];
  inboundForeignKeys: InboundForeignKey[];
  views: ViewFacts[];
  userTriggers: string[];
  ownedSequences: { sequence: string; column: string }[];
  grants: { grantee: string; privilege: string }[];
  rules: string[];
  rowSecurity: boolean;
  inheritance: string[];
}

export async function inspectTable(client: ClientBase, name: string): Promise<TableFacts> {
  const found = await resolveTable(client, name);
  const oid = found.oid;
  const q = async (sql: string) => (await client.query(sql, [oid])).rows;
  const primary = await q(
    `SELECT c.conname AS name, array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i)::text[] AS columns
       FROM pg_constraint c WHERE c.conrelid = $1 AND c.contype = 'p'`,
  );
  return {
    ...found,
    qualified: quoteQualified(`${found.schema}.${found.name}`),
    primaryKey: primary[0] ? { name: primary[0].name, columns: primary[0].columns } : null,
    columns: await columnsOf(client, oid),
    indexes: (await q(
      `SELECT c.relname AS name, substring(pg_get_indexdef(i.indexrelid) from ' USING .*$') AS tail,
              i.indisunique AS unique, i.indisprimary AS primary,
              (SELECT json_build_object('name', conname, 'type', contype) FROM pg_constraint
                WHERE conindid = i.indexrelid AND conrelid = i.indrelid AND contype IN ('p','u','x')) AS constraint
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = $1 ORDER BY c.relname`,
    )) as IndexFacts[],
    constraints: (await q(
      `SELECT conname AS name, contype AS type, convalidated AS validated,
              regexp_replace(pg_get_constraintdef(oid), ' NOT VALID$', '') AS definition,
              (contype = 'f' AND confrelid = conrelid) AS "selfReference"
         FROM pg_constraint WHERE conrelid = $1 AND contype IN ('c', 'f') ORDER BY conname`,
    )) as ConstraintFacts[],
    inboundForeignKeys: (await q(
      `SELECT conname AS name, conrelid::regclass::text AS table, convalidated AS validated,
              regexp_replace(pg_get_constraintdef(oid), ' NOT VALID$', '') AS definition
         FROM pg_constraint WHERE confrelid = $1 AND contype = 'f' AND conrelid <> $1
        ORDER BY conname`,
    )) as InboundForeignKey[],
    views: (await q(
      `SELECT DISTINCT v.oid::regclass::text AS name, v.relkind AS kind
         FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class
        WHERE d.refobjid = $1 AND d.classid = 'pg_rewrite'::regclass AND v.oid <> $1`,
    )) as ViewFacts[],
    userTriggers: (
      await q(
        `SELECT tgname FROM pg_trigger WHERE tgrelid = $1 AND NOT tgisinternal
            AND tgname NOT LIKE 'zdm\\_shadow\\_%' ORDER BY tgname`,
      )
    ).map((row) => row.tgname),
    ownedSequences: (await q(
      `SELECT d.objid::regclass::text AS sequence, a.attname AS column
         FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
        WHERE d.refobjid = $1 AND d.classid = 'pg_class'::regclass AND d.deptype = 'a'
          AND (SELECT relkind FROM pg_class WHERE oid = d.objid) = 'S'`,
    )) as { sequence: string; column: string }[],
    grants: (await q(
      `SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END AS grantee,
              a.privilege_type AS privilege
         FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
         LEFT JOIN pg_roles r ON r.oid = a.grantee
        WHERE c.oid = $1 AND a.grantee <> c.relowner`,
    )) as { grantee: string; privilege: string }[],
    rules: (
      await q(`SELECT rulename FROM pg_rewrite WHERE ev_class = $1 AND rulename <> '_RETURN'`)
    ).map((row) => row.rulename),
    rowSecurity: (await q(`SELECT relrowsecurity FROM pg_class WHERE oid = $1`))[0].relrowsecurity,
    inheritance: (
      await q(
        `SELECT inhrelid::regclass::text AS name FROM pg_inherits WHERE inhparent = $1
         UNION ALL SELECT inhparent::regclass::text FROM pg_inherits WHERE inhrelid = $1`,
      )
    ).map((row) => row.name),
  };
}

async function resolveTable(client: ClientBase, name: string) {
  // A name PostgreSQL cannot even parse names no table.
  const rows: { oid: number; schema: string; name: string; kind: string }[] = await client
    .query(
      `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, c.relkind AS kind
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.oid = to_regclass($1)`,
      [name],
    )
    .then(
      (result) => result.rows,
      () => [],
    );
  const [row] = rows;
  if (!row || row.kind !== 'r') {
    throw new ShadowError(
      'unknown-table',
      `${name} is not a table${row ? ` (relkind ${row.kind}; partitioned tables are not rebuilt)` : ''}.`,
    );
  }
  return { oid: row.oid, schema: row.schema, name: row.name };
}

export async function columnsOf(client: ClientBase, oid: number): Promise<ColumnFacts[]> {
  const { rows } = await client.query(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type,
            attgenerated AS generated, attidentity AS identity
       FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [oid],
  );
  return rows as ColumnFacts[];
}

/**
 * What a rebuild cannot carry over to the new table, named up front so nothing is discovered
 * half-way: the command refuses before creating anything.
 */
export function uncarriable(facts: TableFacts): string[] {
  const problems: string[] = [];
  if (!facts.primaryKey) {
    problems.push(
      `${facts.qualified} has no primary key: the mirror triggers and the copy work by key`,
    );
  }
  if (facts.userTriggers.length) {
    problems.push(
      `triggers ${facts.userTriggers.join(', ')} on ${facts.qualified} would fire on the mirrored ` +
        'writes and are not recreated on the new table; drop them for the rebuild and recreate them after the swap',
    );
  }
  const materialized = facts.views.filter((view) => view.kind === 'm').map((view) => view.name);
  if (materialized.length) {
    problems.push(`materialized views ${materialized.join(', ')} depend on ${facts.qualified}`);
  }
  if (facts.rules.length)
    problems.push(`rules ${facts.rules.join(', ')} are defined on ${facts.qualified}`);
  if (facts.rowSecurity) problems.push(`row level security is enabled on ${facts.qualified}`);
  if (facts.inheritance.length) {
    problems.push(
      `${facts.qualified} takes part in inheritance with ${facts.inheritance.join(', ')}`,
    );
  }
  const selfReferences = facts.constraints.filter((constraint) => constraint.selfReference);
  if (selfReferences.length) {
    problems.push(
      `foreign keys ${selfReferences.map((constraint) => constraint.name).join(', ')} reference ` +
        `${facts.qualified} itself`,
    );
  }
  const exclusion = facts.indexes.filter((index) => index.constraint?.type === 'x');
  if (exclusion.length) {
    problems.push(
      `exclusion constraints ${exclusion.map((index) => index.constraint?.name).join(', ')} cannot ` +
        'be attached to a concurrently built index',
    );
  }
  return problems;
}

export function refuseUncarriable(facts: TableFacts): void {
  const problems = uncarriable(facts);
  if (problems.length === 0) return;
  throw new ShadowError(
    'cannot-carry',
    `Cannot rebuild ${facts.qualified} through a shadow table, nothing was changed:\n` +
      problems.map((problem) => `  - ${problem}`).join('\n'),
  );
}
