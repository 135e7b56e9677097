import fs from 'node:fs';
import path from 'node:path';
import {
  containsNonTransactionalStatement,
  splitSqlStatements,
  type SqlStatement,
} from '../sql/split';
import { createMigrationContext, type ContextOptions } from './context';
import { MigrationRunnerError } from './errors';
import type { MigrationFile } from './files';
import type { HelpersFactory } from './helpers';
import { loadMigrationModule } from './load';
import type { PinnedSession } from './pinned-session';

export type Direction = 'up' | 'down';

/** How to run one migration: inside a transaction or not, and its statements. */
export interface MigrationPlan {
  transactional: boolean;
  run(session: PinnedSession): Promise<void>;
}

export interface PlanOptions extends Omit<ContextOptions, 'name' | 'phase'> {
  helpers?: HelpersFactory;
}

export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') ? file : relative;
}

export async function readSqlStatements(file: MigrationFile): Promise<SqlStatement[]> {
  const source = fs.readFileSync(file.path, 'utf8');
  try {
    return await splitSqlStatements(source);
  } catch (error) {
    const parse = error as { code?: string; line?: number; parserMessage?: string };
    if (parse.code !== 'SQL_PARSE_ERROR') throw error;
    throw new MigrationRunnerError(
      'SQL_PARSE_ERROR',
      `${displayPath(file.path)}:${parse.line}: PostgreSQL cannot parse this migration: ` +
        `${parse.parserMessage}. Nothing was run.`,
      { migration: file.name, line: parse.line },
      { cause: error },
    );
  }
}

function refuseTransactionControl(file: MigrationFile, statements: SqlStatement[]): void {
  const control = statements.find((statement) => statement.kind === 'TransactionStmt');
  if (!control) return;
  throw new MigrationRunnerError(
    'MIGRATION_INVALID',
    `${displayPath(file.path)}:${control.line}: remove \`${control.text}\`: the runner wraps each ` +
      'migration in one transaction itself (and runs it without one when it contains ' +
      'CONCURRENTLY); a migration that commits halfway cannot be retried safely.',
    { migration: file.name, line: control.line },
  );
}

async function planSqlMigration(file: MigrationFile, direction: Direction): Promise<MigrationPlan> {
  if (direction === 'down') {
    throw new MigrationRunnerError(
      'MIGRATION_NOT_REVERSIBLE',
      `${file.name} is a .sql migration and has no down; write a new migration that undoes it ` +
        '(or, in development, recreate the database).',
      { migration: file.name },
    );
  }
  const statements = await readSqlStatements(file);
  refuseTransactionControl(file, statements);
  return {
    transactional: !containsNonTransactionalStatement(statements),
    run: async (session) => {
      for (const statement of statements) {
        session.expectLine(statement.line);
        await session.sequelize.query(statement.text);
      }
    },
  };
}

function planTsMigration(
  file: MigrationFile,
  direction: Direction,
  options: PlanOptions,
): MigrationPlan {
  const migration = loadMigrationModule(file);
  const step = direction === 'up' ? migration.up : migration.down;
  if (!step) {
    throw new MigrationRunnerError(
      'MIGRATION_NOT_REVERSIBLE',
      `${file.name} exports no \`down\` function, so it cannot be reverted; add one, or write a ` +
        'new migration that undoes it.',
      { migration: file.name },
    );
  }
  return {
    transactional: migration.transaction !== false,
    run: async (session) => {
      const context = createMigrationContext(session, {
        ...options,
        name: file.name,
        phase: file.phase,
      });
      await step.call(migration, context);
    },
  };
}

export async function planMigration(
  file: MigrationFile,
  direction: Direction,
  options: PlanOptions,
): Promise<MigrationPlan> {
  return file.kind === 'sql'
    ? planSqlMigration(file, direction)
    : planTsMigration(file, direction, options);
}
