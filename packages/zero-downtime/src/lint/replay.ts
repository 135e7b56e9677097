/**
 * The schema each statement of a `.sql` migration meets, read from a throw-away database where
 * the migrations before it (and its own earlier statements) ran. Rules judge statements alone
 * and say "safe only if the column is currently ..." where the answer is in the schema; this
 * turns such findings into decisions:
 *
 * - `alter-column-type` warnings: the statement runs on the copy, and a table whose
 *   relfilenode changed was rewritten (an error that names the column's type before), one that
 *   kept it only had its catalog changed (no finding);
 * - `set-not-null` errors in post-deploy: a validated CHECK (column IS NOT NULL) on the table
 *   before the statement lets PostgreSQL skip the scan (no finding).
 */
import type { AlterTableStmt, RangeVar } from 'libpg-query';
import type { ClientBase } from 'pg';
import { alterCommands, nodeOf, quoteName, tableText } from './ast';
import type { Finding, Phase } from './types';

/** What the copy showed about one statement, by its line in the file. */
export interface StatementSchema {
  line: number;
  table: string;
  /** Types before the statement of the columns it changes the type of. */
  typesBefore: Map<string, string>;
  /** Whether the statement rewrote the table (its relfilenode changed). */
  rewrote: boolean;
  /** The columns the statement sets NOT NULL. */
  setNotNull: string[];
  /** Those of them already proven NOT NULL by a validated CHECK before the statement. */
  provenNotNull: Set<string>;
}

interface Probed {
  relation: RangeVar | undefined;
  typeChanges: string[];
  setNotNull: string[];
}

function probedParts(node: unknown): Probed | undefined {
  const alter = nodeOf<AlterTableStmt>(node, 'AlterTableStmt');
  if (!alter || alter.objtype !== 'OBJECT_TABLE') return undefined;
  const commands = alterCommands(alter.cmds);
  const of = (subtype: string) =>
    commands.filter((command) => command.subtype === subtype).map((command) => command.name ?? '');
  const probed = {
    relation: alter.relation,
    typeChanges: of('AT_AlterColumnType'),
    setNotNull: of('AT_SetNotNull'),
  };
  return probed.typeChanges.length || probed.setNotNull.length ? probed : undefined;
}

async function relfilenode(client: ClientBase, table: string): Promise<string | undefined> {
  const { rows } = await client.query<{ node: string }>(
    'SELECT relfilenode::text AS node FROM pg_class WHERE oid = to_regclass($1)',
    [table],
  );
  return rows[0]?.node;
}

async function typesOf(client: ClientBase, table: string, columns: string[]) {
  const { rows } = await client.query<{ name: string; type: string }>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
      WHERE attrelid = to_regclass($1) AND attname = ANY ($2) AND NOT attisdropped`,
    [table, columns],
  );
  return new Map(rows.map((row) => [row.name, row.type]));
}

async function provenNotNull(client: ClientBase, table: string, columns: string[]) {
  const { rows } = await client.query<{ definition: string }>(
    `SELECT pg_get_constraintdef(oid) AS definition FROM pg_constraint
      WHERE conrelid = to_regclass($1) AND contype = 'c' AND convalidated`,
    [table],
  );
  return new Set(
    columns.filter((column) =>
      rows.some(({ definition }) => definition.includes(`(${quoteName(column)} IS NOT NULL)`)),
    ),
  );
}

/**
 * Runs one statement on the copy, reading before and after what the decisions need; undefined
 * for statements no decision depends on.
 */
export async function runProbed(
  client: ClientBase,
  statement: { text: string; line: number; node: unknown },
): Promise<StatementSchema | undefined> {
  const probed = probedParts(statement.node);
  if (!probed) {
    await client.query(statement.text);
    return undefined;
  }
  const table = tableText(probed.relation);
  const before = await relfilenode(client, table);
  const typesBefore = await typesOf(client, table, probed.typeChanges);
  const proven = await provenNotNull(client, table, probed.setNotNull);
  await client.query(statement.text);
  const after = await relfilenode(client, table);
  return {
    line: statement.line,
    table,
    typesBefore,
    rewrote: before !== undefined && after !== before,
    setNotNull: probed.setNotNull,
    provenNotNull: proven,
  };
}

function typeChangeDecision(finding: Finding, schema: StatementSchema): Finding | undefined {
  if (!schema.rewrote) return undefined;
  const types = [...schema.typesBefore].map(([column, type]) => `${quoteName(column)} is ${type}`);
  return {
    ...finding,
    severity: 'error',
    message:
      `${finding.message}\nOn a copy of the schema built from the migrations before it ` +
      `(${types.join(', ')} there), this statement rewrote ${schema.table}: an error.`,
  };
}

/** The findings of a replayed file, decided where the schema it met answers them. */
export function decideFromSchema(
  findings: Finding[],
  schemas: StatementSchema[],
  phase: Phase,
): Finding[] {
  const byLine = new Map(schemas.map((schema) => [schema.line, schema]));
  return findings.flatMap((finding) => {
    const schema = byLine.get(finding.line);
    if (schema && finding.rule === 'alter-column-type' && finding.severity === 'warning') {
      const decided = typeChangeDecision(finding, schema);
      return decided ? [decided] : [];
    }
    // In pre-deploy SET NOT NULL also breaks version N: only the post-deploy scan is proven away.
    const proven =
      schema !== undefined &&
      schema.setNotNull.length > 0 &&
      schema.setNotNull.every((column) => schema.provenNotNull.has(column));
    if (finding.rule === 'set-not-null' && phase === 'post' && proven) return [];
    return [finding];
  });
}
