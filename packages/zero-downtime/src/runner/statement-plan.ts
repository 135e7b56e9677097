import { isConcurrentStatement, splitSqlStatementsSync, type SqlStatement } from '../sql/split';

/**
 * What the runner must do around one statement before sending it: lift timeouts, and clear the
 * INVALID leftover of an earlier, failed CREATE INDEX CONCURRENTLY of the same index (with
 * IF NOT EXISTS, PostgreSQL would otherwise keep the broken index and report success).
 */
export interface IndexTarget {
  name: string;
  schema?: string;
}

export interface StatementPlan {
  /**
   * CONCURRENTLY statements wait for older transactions and then build for as long as the
   * table needs. Their SHARE UPDATE EXCLUSIVE lock never blocks reads or writes, even while
   * queued, so neither lock_timeout nor statement_timeout protects the traffic from them.
   */
  concurrent: boolean;
  /** VALIDATE CONSTRAINT scans the table without blocking writes: no statement_timeout. */
  validates: boolean;
  concurrentIndexes: IndexTarget[];
  /** BEGIN / COMMIT / ROLLBACK / SAVEPOINT sent by the migration itself. */
  controlsTransaction: boolean;
}

const NOTHING_SPECIAL: StatementPlan = {
  concurrent: false,
  validates: false,
  concurrentIndexes: [],
  controlsTransaction: false,
};

type Fields = Record<string, unknown>;

function fieldsOf(statement: SqlStatement): Fields {
  return ((statement.node as Fields)[statement.kind] ?? {}) as Fields;
}

export function isValidateConstraint(statement: SqlStatement): boolean {
  if (statement.kind !== 'AlterTableStmt') return false;
  const cmds = (fieldsOf(statement).cmds ?? []) as { AlterTableCmd?: { subtype?: string } }[];
  return cmds.some(({ AlterTableCmd: cmd }) => cmd?.subtype === 'AT_ValidateConstraint');
}

function concurrentIndexTarget(statement: SqlStatement): IndexTarget | undefined {
  if (statement.kind !== 'IndexStmt') return undefined;
  const fields = fieldsOf(statement);
  if (fields.concurrent !== true || typeof fields.idxname !== 'string') return undefined;
  const relation = (fields.relation ?? {}) as { schemaname?: string };
  return { name: fields.idxname, schema: relation.schemaname };
}

export function planStatements(statements: SqlStatement[]): StatementPlan {
  return {
    concurrent: statements.some(isConcurrentStatement),
    validates: statements.some(isValidateConstraint),
    concurrentIndexes: statements
      .map(concurrentIndexTarget)
      .filter((target): target is IndexTarget => target !== undefined),
    controlsTransaction: statements.some((statement) => statement.kind === 'TransactionStmt'),
  };
}

/** For SQL sent by migration code; SQL the parser rejects goes to the server unchanged. */
export function planSql(sql: string): StatementPlan {
  try {
    return planStatements(splitSqlStatementsSync(sql));
  } catch {
    return NOTHING_SPECIAL;
  }
}
