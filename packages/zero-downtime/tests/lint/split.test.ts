import {
  containsNonTransactionalStatement,
  isConcurrentStatement,
  loadSqlParser,
  splitSqlStatements,
  splitSqlStatementsSync,
} from '../../src/sql/split';

describe('splitSqlStatements', () => {
  it('splits statements and reports the line where each starts, after leading comments', async () => {
    const sql = [
      '-- add an index',
      'CREATE INDEX ON users (name);',
      '',
      '/* the orders table */',
      'ALTER TABLE orders',
      '  ADD COLUMN note text;',
    ].join('\n');
    const statements = await splitSqlStatements(sql);
    expect(statements.map(({ text, line, kind }) => ({ text, line, kind }))).toEqual([
      { text: 'CREATE INDEX ON users (name)', line: 2, kind: 'IndexStmt' },
      {
        text: 'ALTER TABLE orders\n  ADD COLUMN note text',
        line: 5,
        kind: 'AlterTableStmt',
      },
    ]);
    expect(statements[0].node).toHaveProperty('IndexStmt.relation.relname', 'users');
  });

  it('keeps semicolons inside strings and dollar-quoted bodies within their statement', async () => {
    const sql = [
      "INSERT INTO notes (body) VALUES ('a; b');",
      'CREATE FUNCTION touch() RETURNS trigger AS $body$',
      "BEGIN NEW.updated_at := now(); RAISE NOTICE 'x;y'; RETURN NEW; END;",
      '$body$ LANGUAGE plpgsql;',
      'SELECT 1',
    ].join('\n');
    const statements = await splitSqlStatements(sql);
    expect(statements.map((s) => s.kind)).toEqual([
      'InsertStmt',
      'CreateFunctionStmt',
      'SelectStmt',
    ]);
    expect(statements[1].text).toContain("RAISE NOTICE 'x;y'; RETURN NEW; END;\n$body$");
    expect(statements[2]).toMatchObject({ text: 'SELECT 1', line: 5 });
  });

  it('locates statements correctly after multi-byte characters', async () => {
    const statements = await splitSqlStatements("SELECT 'héllo';\nSELECT 'wörld';");
    expect(statements.map((s) => s.text)).toEqual(["SELECT 'héllo'", "SELECT 'wörld'"]);
    expect(statements[1].line).toBe(2);
  });

  it('returns no statements for a file of comments only', async () => {
    expect(await splitSqlStatements('-- nothing yet\n/* still nothing */\n')).toEqual([]);
    expect(await splitSqlStatements('')).toEqual([]);
    expect(await splitSqlStatements(' ;\n')).toEqual([]);
  });

  it('rejects invalid SQL with SQL_PARSE_ERROR naming the line and the parser message', async () => {
    const failure = splitSqlStatements('SELECT 1;\n\nSELEC 2;');
    await expect(failure).rejects.toMatchObject({
      code: 'SQL_PARSE_ERROR',
      line: 3,
      message: expect.stringMatching(/line 3: syntax error at or near "SELEC"/),
    });
  });

  it('offers a synchronous variant once the parser is loaded', async () => {
    await loadSqlParser();
    expect(splitSqlStatementsSync('VACUUM users').map((s) => s.kind)).toEqual(['VacuumStmt']);
  });
});

describe('isConcurrentStatement', () => {
  const cases: [string, boolean][] = [
    ['CREATE INDEX CONCURRENTLY users_name_idx ON users (name)', true],
    ['DROP INDEX CONCURRENTLY users_name_idx', true],
    ['REINDEX INDEX CONCURRENTLY users_name_idx', true],
    ['ALTER TABLE events DETACH PARTITION events_2020 CONCURRENTLY', true],
    ['VACUUM users', true],
    ['CREATE DATABASE other', true],
    ['CREATE INDEX users_name_idx ON users (name)', false],
    ['REINDEX TABLE users', false],
    ['ANALYZE users', false],
    ["ALTER TYPE mood ADD VALUE 'meh'", false],
  ];

  it.each(cases)('%s -> %s', async (sql, expected) => {
    const [statement] = await splitSqlStatements(sql);
    expect(isConcurrentStatement(statement)).toBe(expected);
  });

  it('tells whether a migration must run outside a transaction', async () => {
    const plain = await splitSqlStatements('ALTER TABLE users ADD COLUMN note text; SELECT 1;');
    const concurrent = await splitSqlStatements(
      'SELECT 1; CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON users (note);',
    );
    expect(containsNonTransactionalStatement(plain)).toBe(false);
    expect(containsNonTransactionalStatement(concurrent)).toBe(true);
  });
});
