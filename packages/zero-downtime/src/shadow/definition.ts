import { deparseSync } from 'pgsql-deparser';
import type { Node } from 'libpg-query';
import { loadSqlParser, splitSqlStatementsSync, type SqlStatement } from '../sql/split';
import { ShadowError } from './errors';
import type { TableFacts } from './inspect';
import { qualify, shadowIndexName, type RebuildNames } from './names';

/**
 * The new definition, as statements that target the shadow table: the user's ALTER TABLE
 * actions applied to a copy of the original (`--alter`), or a SQL file whose CREATE TABLE
 * defines the new table under any name (`--file`). CREATE INDEX statements are held back and
 * built concurrently in the `indexes` step, after the copy.
 */
export interface ShadowDefinition {
  kind: 'alter' | 'file';
  source: string;
  create: string[];
  deferredIndexes: { name: string; sql: string }[];
}

export interface DefinitionInput {
  alter?: string;
  sql?: string;
}

interface RelationName {
  schema?: string;
  name: string;
}

export async function buildDefinition(
  facts: TableFacts,
  names: RebuildNames,
  input: DefinitionInput,
): Promise<ShadowDefinition> {
  if ((input.alter === undefined) === (input.sql === undefined)) {
    throw new ShadowError(
      'bad-definition',
      'Give the new definition with --alter "<ALTER TABLE actions>" or --file <new-table.sql>.',
    );
  }
  await loadSqlParser();
  const target = { schema: names.schema, name: names.shadow };
  if (input.alter !== undefined) return alterDefinition(facts, target, input.alter);
  return fileDefinition(target, input.sql ?? '');
}

function parse(sql: string): SqlStatement[] {
  try {
    return splitSqlStatementsSync(sql);
  } catch (error) {
    throw new ShadowError(
      'bad-definition',
      `The new definition does not parse: ${(error as Error).message}`,
    );
  }
}

function alterDefinition(facts: TableFacts, target: Required<RelationName>, alter: string) {
  const text = /^\s*alter\s+table\s/i.test(alter)
    ? alter
    : `ALTER TABLE ${facts.qualified} ${alter}`;
  const original = { schema: facts.schema, name: facts.name };
  const definition: ShadowDefinition = {
    kind: 'alter',
    source: alter,
    create: [
      `CREATE TABLE ${qualify(target.schema, target.name)} (LIKE ${facts.qualified} INCLUDING DEFAULTS ` +
        'INCLUDING CONSTRAINTS INCLUDING GENERATED INCLUDING IDENTITY INCLUDING STORAGE ' +
        'INCLUDING COMMENTS INCLUDING COMPRESSION INCLUDING STATISTICS)',
    ],
    deferredIndexes: [],
  };
  if (facts.primaryKey) {
    definition.create.push(
      `ALTER TABLE ${qualify(target.schema, target.name)} ADD CONSTRAINT ` +
        `${quote(shadowIndexName(facts.primaryKey.name))} ` +
        `PRIMARY KEY (${facts.primaryKey.columns.map(quote).join(', ')})`,
    );
  }
  for (const statement of parse(text)) {
    if (!['AlterTableStmt', 'IndexStmt'].includes(statement.kind)) {
      throw new ShadowError(
        'bad-definition',
        `--alter takes ALTER TABLE ${facts.name} actions (and CREATE INDEX); not: ${statement.text}`,
      );
    }
    if (!retarget(statement.node, original, target)) {
      throw new ShadowError(
        'bad-definition',
        `--alter must change ${facts.name} only; not: ${statement.text}`,
      );
    }
    place(definition, statement);
  }
  return definition;
}

function fileDefinition(target: Required<RelationName>, sql: string): ShadowDefinition {
  const statements = parse(sql);
  const first = statements[0];
  const relation = first && createdRelation(first);
  if (!relation) {
    throw new ShadowError(
      'bad-definition',
      'The definition file must start with the CREATE TABLE of the new table (any name: it is ' +
        'created as the shadow table).',
    );
  }
  const definition: ShadowDefinition = {
    kind: 'file',
    source: sql,
    create: [],
    deferredIndexes: [],
  };
  for (const statement of statements) {
    if (!['CreateStmt', 'AlterTableStmt', 'IndexStmt', 'CommentStmt'].includes(statement.kind)) {
      throw new ShadowError(
        'bad-definition',
        `The definition file may hold CREATE TABLE, ALTER TABLE, CREATE INDEX and COMMENT; not: ${statement.text}`,
      );
    }
    retarget(statement.node, relation, target);
    place(definition, statement);
  }
  return definition;
}

function createdRelation(statement: SqlStatement): RelationName | undefined {
  if (statement.kind !== 'CreateStmt') return undefined;
  const relation = (
    statement.node as { CreateStmt: { relation?: { relname?: string; schemaname?: string } } }
  ).CreateStmt.relation;
  return relation?.relname ? { name: relation.relname, schema: relation.schemaname } : undefined;
}

function place(definition: ShadowDefinition, statement: SqlStatement): void {
  if (statement.kind !== 'IndexStmt') {
    definition.create.push(deparse(statement.node));
    return;
  }
  const index = (statement.node as { IndexStmt: Record<string, unknown> }).IndexStmt;
  if (!index.idxname) {
    throw new ShadowError(
      'bad-definition',
      `Name every index of the new definition (the shadow's generated names would stay after ` +
        `the swap): ${statement.text}`,
    );
  }
  index.concurrent = true;
  index.if_not_exists = true;
  definition.deferredIndexes.push({ name: String(index.idxname), sql: deparse(statement.node) });
}

function deparse(node: unknown): string {
  return deparseSync(node as Node);
}

/** Points every reference to `from` at `to` in a parse tree; true when one was found. */
function retarget(node: unknown, from: RelationName, to: Required<RelationName>): boolean {
  let found = false;
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (value === null || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    if (typeof record.relname === 'string' && matches(record, from)) {
      record.relname = to.name;
      record.schemaname = to.schema;
      found = true;
    }
    Object.values(record).forEach(visit);
  };
  visit(node);
  return found;
}

function matches(relation: Record<string, unknown>, wanted: RelationName): boolean {
  if (relation.relname !== wanted.name) return false;
  return !relation.schemaname || !wanted.schema || relation.schemaname === wanted.schema;
}

function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
