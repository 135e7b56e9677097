import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { compareTables, type CompareOptions } from '../../src/compare';
import { createEmptyDatabase, type TestDatabase } from '../../src/testing';

let database: TestDatabase;
let db: Client;
let outDir: string;

beforeEach(async () => {
  database = await createEmptyDatabase();
  db = new Client({ connectionString: database.url });
  await db.connect();
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-compare-'));
});

afterEach(async () => {
  await db.end();
  await database.drop();
  fs.rmSync(outDir, { recursive: true, force: true });
});

const COLUMNS = `id bigint PRIMARY KEY, name text, amount numeric, doc jsonb, raw json,
  at timestamptz, code varchar(10)`;

/** `source` and an identical `target`, `rows` rows each. */
async function createPair(rows: number): Promise<void> {
  await db.query(`CREATE TABLE source (${COLUMNS})`);
  await db.query(`INSERT INTO source
    SELECT g, 'name ' || g, g * 1.5, jsonb_build_object('n', g, 'tags', jsonb_build_array('a', 'b')),
           json_build_object('n', g, 'x', true), '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 minute',
           'c' || g
      FROM generate_series(1, ${rows}) g`);
  await db.query(`CREATE TABLE target (${COLUMNS})`);
  await db.query('INSERT INTO target SELECT * FROM source');
}

function compare(options: Partial<CompareOptions> = {}) {
  return compareTables({
    databaseUrl: database.url,
    source: 'source',
    target: 'target',
    chunkSize: 100,
    out: path.join(outDir, 'diff.jsonl'),
    ...options,
  });
}

function reportLines(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

test('identical tables report nothing', async () => {
  await createPair(1_050);
  const result = await compare();
  expect(result).toMatchObject({
    identical: true,
    differences: 0,
    sourceRows: 1_050,
    targetRows: 1_050,
    chunks: 11,
  });
  expect(fs.readFileSync(result.out, 'utf8')).toBe('');
});

test('every planted difference is found exactly once, with both values', async () => {
  await createPair(1_000);
  await db.query(`
    DELETE FROM target WHERE id = 10;
    INSERT INTO target (id, name) VALUES (5000, 'only in target');
    UPDATE source SET name = NULL WHERE id = 20;
    UPDATE target SET name = '' WHERE id = 20;
    UPDATE target SET raw = '{"x": true, "n": 30}' WHERE id = 30;
    UPDATE target SET doc = '{"tags": ["a", "b"], "n": 40}' WHERE id = 40;
    UPDATE target SET doc = '{"n": 50, "tags": ["a", "c"]}' WHERE id = 50;
    UPDATE source SET amount = 1.0 WHERE id = 60;
    UPDATE target SET amount = 1.00 WHERE id = 60;
    UPDATE target SET at = at + interval '1 microsecond' WHERE id = 70;
    UPDATE target SET name = name || ' ' WHERE id = 80;
    UPDATE target SET code = 'changed', name = 'changed' WHERE id = 90;
    DELETE FROM target WHERE id = 1000;
  `);
  const result = await compare();
  expect(result).toMatchObject({
    identical: false,
    differences: 9,
    missing: 2,
    extra: 1,
    changed: 6,
  });
  const lines = reportLines(result.out);
  expect(lines).toHaveLength(9);
  const byId = new Map(lines.map((line) => [(line.key as { id: number }).id, line]));
  expect(byId.get(10)).toMatchObject({ kind: 'missing', source: { name: 'name 10' } });
  expect(byId.get(1000)).toMatchObject({ kind: 'missing' });
  expect(byId.get(5000)).toMatchObject({
    kind: 'extra',
    target: { name: 'only in target', amount: null },
  });
  expect(byId.get(20)).toEqual({
    kind: 'changed',
    key: { id: 20 },
    columns: [{ column: 'name', source: null, target: '' }],
  });
  expect(byId.has(30)).toBe(false); // json key order is not a difference
  expect(byId.has(40)).toBe(false); // nor is jsonb key order
  expect(byId.get(50)).toMatchObject({ columns: [{ column: 'doc' }] });
  expect(byId.get(70)).toMatchObject({
    columns: [
      {
        column: 'at',
        source: '2024-01-01T01:10:00+00:00',
        target: '2024-01-01T01:10:00.000001+00:00',
      },
    ],
  });
  expect(byId.get(80)).toMatchObject({
    columns: [{ column: 'name', source: 'name 80', target: 'name 80 ' }],
  });
  expect(byId.get(90)).toMatchObject({ columns: [{ column: 'name' }, { column: 'code' }] });
  const scaleLine = fs
    .readFileSync(result.out, 'utf8')
    .split('\n')
    .find((line) => line.includes('"id": 60'));
  expect(scaleLine).toContain('"source":1.0,"target":1.00');
});

test('--columns limits what is compared and --key walks by another unique column set', async () => {
  await createPair(300);
  await db.query("UPDATE target SET name = 'different' WHERE id = 7");
  await db.query("UPDATE target SET code = 'other' WHERE id = 8");
  const onlyCode = await compare({ columns: ['code'] });
  expect(onlyCode).toMatchObject({ differences: 1, changed: 1 });
  expect(reportLines(onlyCode.out)[0]).toMatchObject({ key: { id: 8 } });

  await db.query('CREATE UNIQUE INDEX ON source (code)');
  await db.query('CREATE UNIQUE INDEX ON target (code)');
  const byCode = await compare({ key: ['code'], columns: ['id', 'name'] });
  expect(byCode).toMatchObject({ differences: 3, missing: 1, extra: 1, changed: 1 });
});

test('a concurrent writer changing both tables in one transaction causes no false difference', async () => {
  await createPair(2_000);
  await db.query("UPDATE target SET name = 'planted' WHERE id = 2000");
  const writer = new Client({ connectionString: database.url });
  await writer.connect();
  let writing = true;
  let transactions = 0;
  const writes = (async () => {
    while (writing) {
      const id = 1 + Math.floor(Math.random() * 1_990);
      const fresh = 10_000 + transactions;
      await writer.query('BEGIN');
      await writer.query('UPDATE source SET amount = amount + 1, at = now() WHERE id = $1', [id]);
      await writer.query(
        'UPDATE target SET amount = amount + 1, at = (SELECT at FROM source WHERE id = $1) WHERE id = $1',
        [id],
      );
      await writer.query("INSERT INTO source (id, name) VALUES ($1, 'new')", [fresh]);
      await writer.query("INSERT INTO target (id, name) VALUES ($1, 'new')", [fresh]);
      await writer.query('COMMIT');
      transactions += 1;
    }
  })();
  try {
    await new Promise((resolve) => setTimeout(resolve, 50));
    // One snapshot per chunk, no re-check: the snapshot alone must make the writer invisible.
    const result = await compare({ chunkSize: 50, recheckAttempts: 1 });
    expect(reportLines(result.out)).toEqual([
      {
        kind: 'changed',
        key: { id: 2000 },
        columns: [{ column: 'name', source: 'name 2000', target: 'planted' }],
      },
    ]);
  } finally {
    writing = false;
    await writes;
    await writer.end();
  }
  expect(transactions).toBeGreaterThan(20);
});

test('a chunk that differs only while a write is in flight between the tables is re-checked, not reported', async () => {
  await createPair(500);
  const writer = new Client({ connectionString: database.url });
  await writer.connect();
  let writing = true;
  let writes = 0;
  // Each change reaches the target 20 ms after the source, in a separate transaction.
  const loop = (async () => {
    while (writing) {
      const id = 1 + Math.floor(Math.random() * 500);
      await writer.query('UPDATE source SET amount = amount + 1 WHERE id = $1', [id]);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await writer.query('UPDATE target SET amount = amount + 1 WHERE id = $1', [id]);
      writes += 1;
    }
  })();
  let writesDuringCompare: number | undefined;
  try {
    // The writer is going before the comparison starts, however slow the machine.
    while (writes < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    const before = writes;
    const result = await compare({ chunkSize: 20, recheckAttempts: 4, recheckDelayMs: 100 });
    writesDuringCompare = writes - before;
    expect(result.differences).toBe(0);
  } finally {
    writing = false;
    await loop;
    await writer.end();
  }
  expect(writesDuringCompare).toBeGreaterThan(0);
});

test('tables in two databases are compared with sourceUrl and targetUrl', async () => {
  await createPair(250);
  const other = await createEmptyDatabase();
  const otherDb = new Client({ connectionString: other.url });
  await otherDb.connect();
  try {
    await otherDb.query(`CREATE TABLE target (${COLUMNS})`);
    const { rows } = await db.query('SELECT * FROM source ORDER BY id');
    for (const row of rows) {
      await otherDb.query('INSERT INTO target VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        row.id,
        row.name,
        row.amount,
        row.doc,
        JSON.stringify(row.raw),
        row.at,
        row.code,
      ]);
    }
    await otherDb.query('UPDATE target SET code = NULL WHERE id = 99');
    const result = await compare({
      databaseUrl: undefined,
      sourceUrl: database.url,
      targetUrl: other.url,
    });
    expect(result).toMatchObject({ differences: 1, changed: 1, sourceRows: 250, targetRows: 250 });
    expect(reportLines(result.out)[0]).toMatchObject({
      key: { id: 99 },
      columns: [{ column: 'code', source: 'c99', target: null }],
    });
  } finally {
    await otherDb.end();
    await other.drop();
  }
});

describe('a comparison that cannot run fails with a clear error', () => {
  beforeEach(() => createPair(10));

  test('an unknown table', async () => {
    await expect(compare({ target: 'nope' })).rejects.toMatchObject({
      code: 'COMPARE_UNKNOWN_TABLE',
      message: expect.stringContaining('target table "nope" does not exist'),
    });
  });

  test('an unknown column', async () => {
    await expect(compare({ columns: ['name', 'nope'] })).rejects.toMatchObject({
      code: 'COMPARE_UNKNOWN_COLUMN',
    });
  });

  test('tables with different primary keys', async () => {
    await db.query('CREATE TABLE keyed_by_code (LIKE source)');
    await db.query('ALTER TABLE keyed_by_code ADD PRIMARY KEY (code)');
    await expect(compare({ target: 'keyed_by_code' })).rejects.toMatchObject({
      code: 'COMPARE_KEY_MISMATCH',
      message: expect.stringContaining('different primary keys'),
    });
  });

  test('a source without primary key and no --key', async () => {
    await db.query('CREATE TABLE loose (LIKE source)');
    await expect(compare({ source: 'loose' })).rejects.toMatchObject({ code: 'COMPARE_NO_KEY' });
  });
});
