/**
 * `migrate lint --database URL`: the pending statements judged against the database they will
 * meet, read-only. Table sizes raise or lower the lock-duration findings; the data checks
 * report the rows that would make a statement fail, before anything runs.
 */
import type { RangeVar } from 'libpg-query';
import type { LintThresholds } from '../../core/config';
import { readAppliedMigrations } from '../../runner/storage';
import { loadSqlParser, splitParsedStatementsSync } from '../../sql/split';
import { nodeOf, tableText } from '../ast';
import type { Finding, Phase } from '../types';
import { dataChecksOf, type PendingConstraints } from './checks';
import { openReadOnly, type ReadOnlySession } from './connection';
import { runDataCheck } from './run-checks';
import { isSizeDependent, sizedFinding, tableSize, type TableSize } from './sizes';

export { LintDatabaseError } from './connection';
export { dataRuleSummaries } from './run-checks';

/** A migration the linter judged, with the statements it sends (a .ts migration's captured). */
export interface JudgedMigration {
  /** The migration's name, as zdm_migrations records it. */
  name: string;
  /** As findings name it. */
  file: string;
  phase: Phase;
  statements: { text: string; line: number }[];
}

/** The database to judge against, and the thresholds (zeroDowntime.lint). */
export interface DatabaseLintOptions {
  url: string;
  thresholds: LintThresholds;
}

function relationOf(node: unknown): RangeVar | undefined {
  for (const kind of ['IndexStmt', 'AlterTableStmt', 'UpdateStmt', 'DeleteStmt']) {
    const relation = nodeOf<{ relation?: RangeVar }>(node, kind)?.relation;
    if (relation) return relation;
  }
  return undefined;
}

async function sized(
  session: ReadOnlySession,
  findings: Finding[],
  pending: Map<string, JudgedMigration>,
  thresholds: LintThresholds,
): Promise<Finding[]> {
  const sizes = new Map<string, TableSize | undefined>();
  const result: Finding[] = [];
  for (const finding of findings) {
    const phase = pending.get(finding.file)?.phase;
    const relation =
      phase && isSizeDependent(finding.rule, phase)
        ? relationOf(splitParsedStatementsSync(finding.statement)[0]?.node)
        : undefined;
    if (!relation) {
      result.push(finding);
      continue;
    }
    const table = tableText(relation);
    if (!sizes.has(table)) sizes.set(table, await tableSize(session, table));
    const size = sizes.get(table);
    result.push(size ? sizedFinding(finding, table, size, thresholds) : finding);
  }
  return result;
}

async function dataFindings(
  session: ReadOnlySession,
  migrations: JudgedMigration[],
  thresholds: LintThresholds,
): Promise<Finding[]> {
  const constraints: PendingConstraints = new Map();
  const found: Finding[] = [];
  for (const migration of migrations) {
    for (const sent of migration.statements) {
      for (const statement of splitParsedStatementsSync(sent.text)) {
        for (const check of dataChecksOf(statement.node, constraints)) {
          const hits = await runDataCheck(session, check, thresholds);
          found.push(
            ...hits.map(({ rule, severity, message, recipe }) => ({
              rule,
              severity,
              file: migration.file,
              line: sent.line,
              statement: statement.text,
              message,
              recipe,
            })),
          );
        }
      }
    }
  }
  return found;
}

/**
 * The findings, sized by the tables they lock, plus the data checks of the migrations not yet
 * applied in that database (zdm_migrations), in deploy order.
 */
export async function lintAgainstDatabase(
  migrations: JudgedMigration[],
  findings: Finding[],
  options: DatabaseLintOptions,
): Promise<Finding[]> {
  await loadSqlParser();
  const session = await openReadOnly(options.url, options.thresholds.statementTimeoutMs);
  try {
    const applied = new Set(
      (await readAppliedMigrations(session.client)).map((record) => record.name),
    );
    const pending = migrations.filter((migration) => !applied.has(migration.name));
    const byFile = new Map(pending.map((migration) => [migration.file, migration]));
    const adjusted = await sized(session, findings, byFile, options.thresholds);
    return [...adjusted, ...(await dataFindings(session, pending, options.thresholds))];
  } finally {
    await session.close();
  }
}
