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

const compareWithCopy = (report: string) =>
  runCompare(
    '--source',
    'accounts',
    '--target',
    'accounts_copy',
    '--out',
    path.join(outDir, report),
  );

test('db:compare exits 0 on identical tables', async () => {
  const { code, output } = await compareWithCopy('same.jsonl');
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

test('db:compare says what it does from the start, then shows the progress db:backfill shows', async () => {
  const { code, output } = await compareWithCopy('progress.jsonl');
  expect(code).toBe(0);
  const lines = output.split('\n');
  const at = (text: string) => lines.findIndex((line) => line.startsWith(text));
  const steps = [
    'compare: opening the database...',
    'compare: connecting...',
    'compare: reading the definitions of accounts and accounts_copy...',
    'compare: estimating the rows of public.accounts...',
    // Piped, the display prints a line at the start, then one every 10 s: this walk is quicker.
    'compare accounts -> accounts_copy: 0/',
    'identical: accounts and accounts_copy',
  ].map(at);
  expect(steps.every((index) => index >= 0)).toBe(true);
  expect(steps).toEqual([...steps].sort((a, b) => a - b));
  expect(lines[steps[4]]).toMatch(
    /^compare accounts -> accounts_copy: 0\/\d+ rows \(0%\), 0 chunks, 0 differences, 0 rows\/s, ETA \?$/,
  );
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
