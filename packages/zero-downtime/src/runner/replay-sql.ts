import { Client } from 'pg';
import { lintSql, type Finding } from '../lint';
import { decideFromSchema, runProbed, type StatementSchema } from '../lint/replay';
import { SqlParseError, splitSqlStatementsSync } from '../sql/split';
import { MigrationRunnerError, messageOf } from './errors';
import type { MigrationFile } from './files';
import { displayPath } from './plan';

/**
 * Lints a `.sql` migration by its text and by what it did on the throw-away database where the
 * migrations before it ran: each statement runs there in turn, and findings that depend on the
 * schema it met are decided from it (src/lint/replay.ts). Throws a MigrationRunnerError naming
 * the statement when one fails there, after the findings of its text.
 */
export async function lintReplayedSql(
  file: MigrationFile,
  source: string,
  url: string,
): Promise<{ findings: Finding[]; failure?: MigrationRunnerError }> {
  const findings = await lintSql(source, { file: displayPath(file.path), phase: file.phase });
  let statements;
  try {
    statements = splitSqlStatementsSync(source);
  } catch (error) {
    if (error instanceof SqlParseError) return { findings };
    throw error;
  }
  const schemas: StatementSchema[] = [];
  const client = new Client({ connectionString: url, application_name: 'zdm-migrate-lint' });
  await client.connect();
  try {
    for (const statement of statements) {
      try {
        const schema = await runProbed(client, statement);
        if (schema) schemas.push(schema);
      } catch (error) {
        const failure = new MigrationRunnerError(
          'MIGRATION_FAILED',
          `${displayPath(file.path)}:${statement.line}: ${messageOf(error)}`,
          { migration: file.name, statement: statement.text, line: statement.line },
          { cause: error },
        );
        return { findings: decideFromSchema(findings, schemas, file.phase), failure };
      }
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  return { findings: decideFromSchema(findings, schemas, file.phase) };
}
