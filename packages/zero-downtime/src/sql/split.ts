import { ToolkitError } from '../core/errors';
/**
 * Splits a migration's SQL into statements with PostgreSQL's own parser (libpg-query), so
 * dollar-quoted bodies, comments and semicolons inside strings are handled exactly as the
 * server will handle them. Shared by the migration runner and the migration linter.
 */
import { loadModule, parseSync } from 'libpg-query';
import { lineAt, lineIndex, scanTrivia } from './trivia';

export interface SqlStatement {
  /** The statement as written, without leading comments and without the final semicolon. */
  text: string;
  /** 1-based line where the statement starts, after leading comments and whitespace. */
  line: number;
  /** The parse tree of this statement, e.g. `{ IndexStmt: { ... } }`. */
  node: unknown;
  /** The node type name, e.g. `'IndexStmt'`. */
  kind: string;
  /** Character offset of `text` in the source (used to attach suppression comments). */
  offset: number;
}

export class SqlParseError extends ToolkitError<'SQL_PARSE_ERROR'> {
  constructor(
    readonly line: number,
    readonly parserMessage: string,
  ) {
    super('SQL_PARSE_ERROR', `SQL parse error at line ${line}: ${parserMessage}`, {
      details: { line },
    });
  }
}

interface RawStatement {
  stmt: Record<string, unknown>;
  stmt_location?: number;
  stmt_len?: number;
}

interface ParserError {
  message?: string;
  sqlDetails?: { cursorPosition?: number };
}

let parserLoaded = false;

/** Loads the parser's WebAssembly module once; the sync functions need it loaded. */
export async function loadSqlParser(): Promise<void> {
  await loadModule();
  parserLoaded = true;
}

/** The parser reports byte offsets into the UTF-8 text; JavaScript strings index UTF-16 units. */
function byteToCharOffsets(sql: string): (byteOffset: number) => number {
  const bytes = Buffer.from(sql, 'utf8');
  if (bytes.length === sql.length) return (byteOffset) => byteOffset;
  return (byteOffset) => bytes.subarray(0, byteOffset).toString('utf8').length;
}

function parseOrThrow(sql: string): RawStatement[] {
  if (!parserLoaded) {
    throw new Error('The SQL parser is not loaded: await loadSqlParser() before splitting.');
  }
  try {
    return (parseSync(sql) as { stmts?: RawStatement[] }).stmts ?? [];
  } catch (error) {
    const details = error as ParserError;
    // Unlike statement locations, the error cursor counts characters, not bytes.
    const cursor = Math.max(details.sqlDetails?.cursorPosition ?? 0, 0);
    throw new SqlParseError(lineAt(sql, cursor), details.message ?? String(error));
  }
}

function toStatement(
  sql: string,
  raw: RawStatement,
  charOffset: (byteOffset: number) => number,
  lineOf: (offset: number) => number,
): SqlStatement {
  const start = charOffset(raw.stmt_location ?? 0);
  // A zero length means "up to the end of the input" (the last statement without a semicolon).
  const end = raw.stmt_len ? charOffset((raw.stmt_location ?? 0) + raw.stmt_len) : sql.length;
  const textStart = scanTrivia(sql.slice(0, end), start).end;
  const kind = Object.keys(raw.stmt)[0];
  return {
    text: sql.slice(textStart, end).trimEnd(),
    line: lineOf(textStart),
    node: raw.stmt,
    kind,
    offset: textStart,
  };
}

/** Synchronous split; call `await loadSqlParser()` once before. Throws SqlParseError. */
export function splitSqlStatementsSync(sql: string): SqlStatement[] {
  // The parser rejects input with nothing but whitespace and comments ("Query cannot be empty").
  if (scanTrivia(sql).end === sql.length) return [];
  const raws = parseOrThrow(sql);
  const charOffset = byteToCharOffsets(sql);
  const lineOf = lineIndex(sql);
  return raws.map((raw) => toStatement(sql, raw, charOffset, lineOf));
}

/**
 * The statements of SQL text, or none when it does not parse: for readers of text whose parse
 * error is reported elsewhere (the linter's `sql-parse-error` finding). Call `loadSqlParser`
 * once before.
 */
export function splitParsedStatementsSync(sql: string): SqlStatement[] {
  try {
    return splitSqlStatementsSync(sql);
  } catch (error) {
    if (error instanceof SqlParseError) return [];
    throw error;
  }
}

/** Splits SQL text into statements. Rejects with SqlParseError (code 'SQL_PARSE_ERROR'). */
export async function splitSqlStatements(sql: string): Promise<SqlStatement[]> {
  await loadSqlParser();
  return splitSqlStatementsSync(sql);
}

export { containsNonTransactionalStatement, isConcurrentStatement } from './non-transactional';
