/**
 * The lock report against the locks PostgreSQL really takes. Every statement of every rule case
 * (lint-cases.ts) and of lockCases below runs against a prepared schema, each sample in its own
 * database; for each statement the strongest mode per relation in pg_locks (this backend's
 * relation locks; virtualxid and transactionid rows are not relation locks) must equal the
 * report for every relation it names, and no other relation that existed before may hold more
 * than ROW EXCLUSIVE (tables a statement only reads or writes rows of, and indexes).
 *
 * Whether a statement rewrites a table is checked too: a rewrite gives the table a new
 * relfilenode (compareWork).
 * Statements the linter has no lock entry for (DO, CALL) must get the not-judged warning instead.
 * Statements that cannot run in a transaction (CONCURRENTLY, VACUUM) run in autocommit while a
 * second connection holds a lock that makes them wait (see blockerLocks): a third connection
 * reads their locks, granted and awaited, while they wait.
 */
import { Client } from 'pg';
import { lintSql, statementLock, type LockMode, type LockReport } from '../../src/lint';
import { modeOfPgLocks, strongerMode } from '../../src/lint/locks';
import { loadSqlParser, splitSqlStatementsSync, type SqlStatement } from '../../src/sql/split';
import { isConcurrentStatement } from '../../src/sql/non-transactional';
import { createEmptyDatabase, type TestDatabase } from '../../src/testing';
import { createDatabase } from '../../src/testing/database';
import { ruleCases } from './lint-cases';

/** The schema every sample meets: the tables, columns and objects the cases name. */
const preparedSchema = `
CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);
CREATE SCHEMA archive;
CREATE SEQUENCE users_n_seq;
CREATE FUNCTION make_code() RETURNS text LANGUAGE plpgsql VOLATILE AS $$ BEGIN RETURN 'x'; END $$;
CREATE PROCEDURE refresh_all() LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TABLE users (id bigint PRIMARY KEY, name text, email text, age int, bio text,
  code varchar(32), status text, first_name text, last_name text, a text, title varchar(50),
  price numeric(10, 2), feeling mood);
CREATE INDEX users_name_idx ON users (name);
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TABLE coupons (id bigint PRIMARY KEY);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, ref text, total int,
  during tstzrange);
CREATE TABLE archived_orders (id bigint, user_id bigint, ref text, total int, during tstzrange);
CREATE TABLE legacy_sessions (id bigint);
CREATE TABLE sessions (id bigint, expires_at timestamptz);
CREATE TABLE carts (id bigint);
CREATE TABLE stock (sku text, qty int);
CREATE TABLE deliveries (sku text, qty int);
CREATE TABLE audit_log (id bigint);
CREATE VIEW active_users AS SELECT id, email FROM users;
CREATE MATERIALIZED VIEW order_totals AS SELECT user_id, sum(total) AS total FROM orders GROUP BY user_id;
CREATE UNIQUE INDEX order_totals_user_id_idx ON order_totals (user_id);
CREATE TABLE measurements (id bigint, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE measurements_2023 PARTITION OF measurements FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE measurements_2024 (id bigint, at date NOT NULL);
CREATE TABLE measurements_2025 (id bigint, at date NOT NULL,
  CONSTRAINT measurements_2025_at_check CHECK (at >= '2025-01-01' AND at < '2026-01-01'));
`;

/** What a few samples need beyond the prepared schema (committed before the sample runs). */
const arrange: Readonly<Record<string, string>> = {
  'ALTER TABLE users DROP COLUMN nickname;': 'ALTER TABLE users ADD COLUMN nickname text',
  'ALTER TABLE users VALIDATE CONSTRAINT orders_fk;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;':
    'ALTER TABLE users ADD CONSTRAINT orders_fk CHECK (id > 0) NOT VALID',
  'ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\nALTER TABLE users DROP CONSTRAINT users_email_not_null;':
    'ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID',
  'ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;':
    'ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID',
  'ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;':
    'CREATE UNIQUE INDEX users_email_key ON users (email)',
  'ALTER TABLE events ADD PRIMARY KEY (id);': 'CREATE TABLE events (id bigint NOT NULL)',
  'ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey;':
    'CREATE TABLE events (id bigint NOT NULL); CREATE UNIQUE INDEX events_pkey ON events (id)',
  "INSERT INTO plans (name) VALUES ('free'), ('pro');": 'CREATE TABLE plans (name text)',
  'DROP INDEX CONCURRENTLY users_email_idx;': 'CREATE INDEX users_email_idx ON users (email)',
  'DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;':
    'CREATE INDEX users_email_idx ON users (email)',
  'ALTER TABLE users ADD COLUMN code text DEFAULT make_code();':
    'ALTER TABLE users DROP COLUMN code',
  'ALTER TABLE users ADD COLUMN a text;\nALTER TABLE users ADD COLUMN b text;':
    'ALTER TABLE users DROP COLUMN a',
  'CREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_idx ON users (name);':
    'DROP INDEX users_name_idx',
};

const weakModes = new Set<LockMode>(['ACCESS SHARE', 'ROW SHARE', 'ROW EXCLUSIVE']);

interface HeldLock {
  relation: number;
  mode: string;
}

type LockMap = Map<number, LockMode>;

function strongestPerRelation(rows: HeldLock[]): LockMap {
  const held: LockMap = new Map();
  for (const row of rows) {
    const mode = modeOfPgLocks(row.mode);
    if (!mode) throw new Error(`unknown pg_locks mode ${row.mode}`);
    const known = held.get(row.relation);
    held.set(row.relation, known ? strongerMode(known, mode) : mode);
  }
  return held;
}

interface Relation {
  oid: number;
  name: string;
  kind: string;
}

/** The relations that exist now, by oid (renames and drops do not lose them). */
async function relationsNow(client: Client): Promise<Map<number, Relation>> {
  const { rows } = await client.query<{ oid: number; name: string; kind: string }>(
    `SELECT c.oid::int AS oid, c.oid::regclass::text AS name, c.relkind::text AS kind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`,
  );
  return new Map(rows.map((row) => [row.oid, row]));
}

/** The report's relations resolved to oids before the statement runs, with the modes expected. */
async function expectedLocks(client: Client, lock: LockReport): Promise<LockMap> {
  const expected: LockMap = new Map();
  const add = (oid: number | null, mode: LockMode) => {
    if (oid !== null) expected.set(oid, strongerMode(expected.get(oid) ?? mode, mode));
  };
  for (const entry of lock.locks) {
    const { rows } = await client.query<{ oid: number | null; table: number | null }>(
      `SELECT to_regclass($1)::oid::int AS oid,
              (SELECT indrelid::int FROM pg_index WHERE indexrelid = to_regclass($1)) AS table`,
      [entry.relation],
    );
    add(rows[0].oid, entry.mode);
    if (entry.tableOfIndex) add(rows[0].table, entry.tableOfIndex);
  }
  return expected;
}

function describeMap(map: LockMap, relations: Map<number, Relation>): Record<string, string> {
  return Object.fromEntries(
    [...map].map(([oid, mode]) => [relations.get(oid)?.name ?? String(oid), mode]),
  );
}

function compare(
  statement: string,
  lock: LockReport,
  expected: LockMap,
  held: LockMap,
  relations: Map<number, Relation>,
) {
  const named = new Map([...held].filter(([oid]) => expected.has(oid)));
  const others = [...held].filter(
    ([oid, mode]) =>
      !expected.has(oid) &&
      relations.has(oid) &&
      !['i', 'I'].includes(relations.get(oid)?.kind ?? '') &&
      !weakModes.has(mode),
  );
  expect({
    statement,
    report: lock.summary,
    named: describeMap(named, relations),
    unnamedStrong: describeMap(new Map(others), relations),
  }).toEqual({
    statement,
    report: lock.summary,
    named: describeMap(expected, relations),
    unnamedStrong: {},
  });
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  await client.connect();
  return client;
}

function reportOf(statement: SqlStatement): LockReport {
  const lock = statementLock(statement.node);
  if (!lock) throw new Error(`no lock report for: ${statement.text}`);
  return lock;
}

/** The storage file of each relation: a rewrite gives the table a new one. */
async function fileNodes(client: Client, oids: number[]): Promise<Map<number, number>> {
  const { rows } = await client.query<{ oid: number; node: number }>(
    `SELECT oid::int AS oid, relfilenode::int AS node FROM pg_class
      WHERE oid = ANY($1::oid[]) AND relkind IN ('r', 'm')`,
    [oids],
  );
  return new Map(rows.map((row) => [row.oid, row.node]));
}

/**
 * A statement reported as rewriting a table gives a table it names a new storage file; one
 * reported as catalog-only or as a scan gives none a new file. (Type changes whose report
 * carries the binary-coercible condition, and TRUNCATE, which replaces the file as it empties
 * it, are not asserted.)
 */
function compareWork(
  statement: string,
  lock: LockReport,
  before: Map<number, number>,
  after: Map<number, number>,
) {
  // A dropped table has no file any more: that is not a rewrite.
  const rewritten = [...before].some(([oid, node]) => after.has(oid) && after.get(oid) !== node);
  if (lock.work === 'rewrite' && !lock.summary.includes('binary-coercible')) {
    expect({ statement, rewritten }).toEqual({ statement, rewritten: true });
  } else if (['catalog', 'scan', 'none'].includes(lock.work)) {
    expect({ statement, rewritten }).toEqual({ statement, rewritten: false });
  }
}

async function checkInTransaction(client: Client, statement: SqlStatement): Promise<void> {
  const lock = reportOf(statement);
  const relations = await relationsNow(client);
  const expected = await expectedLocks(client, lock);
  const before = await fileNodes(client, [...expected.keys()]);
  await client.query('BEGIN');
  await client.query(statement.text);
  const { rows } = await client.query<HeldLock>(
    `SELECT relation::int AS relation, mode FROM pg_locks
      WHERE pid = pg_backend_pid() AND locktype = 'relation'`,
  );
  await client.query('COMMIT');
  compare(statement.text, lock, expected, strongestPerRelation(rows), relations);
  compareWork(statement.text, lock, before, await fileNodes(client, [...before.keys()]));
}

/** Resolves once the backend waits on a lock (granted = false), or rejects if `done` settles. */
async function waitUntilWaiting(observer: Client, pid: number, done: Promise<unknown>) {
  let finished = false;
  void done.then(
    () => (finished = true),
    () => (finished = true),
  );
  for (;;) {
    const { rows } = await observer.query('SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted', [
      pid,
    ]);
    if (rows.length > 0) return;
    if (finished) throw new Error('the statement finished before it waited: nothing to observe');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * What the second connection holds so that the statement waits where its locks can be read.
 * Most wait for older transactions after taking their locks: ROW EXCLUSIVE on each table
 * (which does not conflict with theirs) is such a transaction. VACUUM does not wait, and
 * DETACH CONCURRENTLY waits only after its first transaction committed: for them a SHARE UPDATE
 * EXCLUSIVE lock on the last table makes them wait for that lock, holding the ones before it.
 */
function blockerLocks(statement: SqlStatement, tables: number[]): [number, string][] {
  const waitsForLock = statement.kind === 'VacuumStmt' || statement.kind === 'AlterTableStmt';
  if (waitsForLock) return tables.slice(-1).map((oid) => [oid, 'SHARE UPDATE EXCLUSIVE']);
  return tables.map((oid) => [oid, 'ROW EXCLUSIVE']);
}

async function checkConcurrently(url: string, statement: SqlStatement): Promise<void> {
  const lock = reportOf(statement);
  const [runner, blocker, observer] = await Promise.all([connect(url), connect(url), connect(url)]);
  try {
    const relations = await relationsNow(observer);
    const expected = await expectedLocks(observer, lock);
    const tables = [...expected.keys()].filter((oid) => relations.get(oid)?.kind !== 'i');
    await blocker.query('BEGIN');
    for (const [oid, mode] of blockerLocks(statement, tables)) {
      await blocker.query(`LOCK TABLE ${relations.get(oid)?.name} IN ${mode} MODE`);
    }
    const { rows: pidRows } = await runner.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const running = runner.query(statement.text);
    await waitUntilWaiting(observer, pidRows[0].pid, running);
    const { rows } = await observer.query<HeldLock>(
      `SELECT relation::int AS relation, mode FROM pg_locks
        WHERE pid = $1 AND locktype = 'relation'`,
      [pidRows[0].pid],
    );
    await blocker.query('COMMIT');
    await running;
    compare(statement.text, lock, expected, strongestPerRelation(rows), relations);
  } finally {
    await Promise.all([runner.end(), blocker.end(), observer.end()]);
  }
}

const transactionControl = new Set(['TransactionStmt']);

let template: TestDatabase;

beforeAll(async () => {
  await loadSqlParser();
  template = await createEmptyDatabase();
  const client = await connect(template.url);
  try {
    await client.query(preparedSchema);
  } finally {
    await client.end();
  }
});

afterAll(async () => {
  await template.drop();
});

async function withSampleDatabase(work: (url: string) => Promise<void>): Promise<void> {
  const database = await createDatabase(template.name);
  try {
    await work(database.url);
  } finally {
    await database.drop();
  }
}

/** Statement kinds no rule flags, checked here too. */
const lockOnly = [
  "COMMENT ON TABLE users IS 'people';",
  "COMMENT ON COLUMN users.name IS 'display name';",
  'ALTER TABLE users ALTER COLUMN age SET STATISTICS 500;',
  'ALTER TABLE users SET (fillfactor = 70);',
  'ALTER TABLE users DISABLE TRIGGER users_touch;',
  'ALTER TABLE users CLUSTER ON users_name_idx;',
  'ALTER INDEX users_name_idx RENAME TO users_display_name_idx;',
  'ALTER INDEX users_name_idx SET (fillfactor = 80);',
  'CREATE STATISTICS users_names ON first_name, last_name FROM users;',
  'ANALYZE users;',
  'SELECT id FROM users WHERE id = 1 FOR UPDATE;',
  "SELECT nextval('users_n_seq');",
  'SET lock_timeout = 1000;',
  'CREATE TABLE kids () INHERITS (orders);',
  'CREATE TABLE orders_copy AS SELECT * FROM orders;',
];

const samples = [
  ...ruleCases.flatMap((ruleCase) =>
    [...ruleCase.unsafe, ...ruleCase.safe].map(({ sql }) => ({ rule: ruleCase.rule, sql })),
  ),
  ...lockOnly.map((sql) => ({ rule: 'lock report', sql })),
];

describe('the lock report matches pg_locks', () => {
  it.each(samples)('$rule: $sql', async ({ sql }) => {
    await withSampleDatabase(async (url) => {
      const client = await connect(url);
      try {
        if (arrange[sql]) await client.query(arrange[sql]);
        for (const statement of splitSqlStatementsSync(sql)) {
          if (!statementLock(statement.node)) {
            // No lock entry: the linter says so instead of passing it (rule not-judged).
            const findings = await lintSql(statement.text, { file: 'x.sql', phase: 'pre' });
            expect(findings.map((finding) => finding.rule)).toContain('not-judged');
            await client.query(statement.text);
          } else if (transactionControl.has(statement.kind)) {
            expect(reportOf(statement).locks).toEqual([]);
          } else if (isConcurrentStatement(statement)) {
            await checkConcurrently(url, statement);
          } else {
            await checkInTransaction(client, statement);
          }
        }
      } finally {
        await client.end();
      }
    });
  });
});
