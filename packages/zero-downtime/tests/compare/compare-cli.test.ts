import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createEmptyDatabase, type TestDatabase } from '../../src/testing';
import { runToEnd } from '../../src/testing';
import { cliSource } from '../support/project';

let database: TestDatabase;
let db: Client;
let outDir: string;

beforeAll(async () => {
  database = await createEmptyDatabase();
  db = new Client({ connectionString: database.url });
  await db.connect();
  await db.query('CREATE TABLE accounts (id bigint PRIMARY KEY, email text, balance numeric)');
  await db.query(
    "INSERT INTO accounts SELECT g, 'user' || g || '@example.com', g FROM generate_series(1, 500) g",
  );
  await db.query('CREATE TABLE accounts_copy (LIKE accounts INCLUDING ALL)');
  await db.query('INSERT INTO accounts_copy SELECT * FROM accounts');
  await db.query('CREATE TABLE accounts_drifted (LIKE accounts INCLUDING ALL)');
  await db.query('INSERT INTO accounts_drifted SELECT * FROM accounts WHERE id <> 3');
  await db.query("UPDATE accounts_drifted SET email = 'x' WHERE id = 4");
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-compare-cli-'));
});

afterAll(async () => {
  await db.end();
  await database.drop();
  fs.rmSync(outDir, { recursive: true, force: true });
});

async function runCompare(...args: string[]) {
  return runToEnd(cliSource, ['compare', ...args], { DATABASE_URL: database.url });
}

test('db:compare exits 0 on identical tables', async () => {
  const { code, output } = await runCompare(
    '--source',
    'accounts',
    '--target',
    'accounts_copy',
    '--out',
    path.join(outDir, 'same.jsonl'),
  );
  expect(code).toBe(0);
  expect(output).toContain(
    'identical: accounts and accounts_copy (500 source rows, 500 target rows',
  );
});

test('db:compare exits 1 on differences and prints their count and the report path', async () => {
  const out = path.join(outDir, 'drift.jsonl');
  const { code, output } = await runCompare(
    '--source',
    'accounts',
    '--target',
    'accounts_drifted',
    '--chunk',
    '64',
    '--out',
    out,
  );
  expect(code).toBe(1);
  expect(output).toContain(`2 differences (1 missing, 0 extra, 1 changed)`);
  expect(output).toContain(`report: ${out}`);
  expect(fs.readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(2);
});

test('db:compare exits 1, naming the problem, on an unknown table or column', async () => {
  const table = await runCompare('--source', 'accounts', '--target', 'nope');
  expect(table.code).toBe(1);
  expect(table.output).toContain('[COMPARE_UNKNOWN_TABLE]');
  const column = await runCompare(
    '--source',
    'accounts',
    '--target',
    'accounts_copy',
    '--columns',
    'email,nope',
  );
  expect(column.code).toBe(1);
  expect(column.output).toContain('[COMPARE_UNKNOWN_COLUMN]');
});
