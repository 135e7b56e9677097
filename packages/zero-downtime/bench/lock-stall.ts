import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { silentLogger } from '../src/core/logger';
import { migrateDatabase } from '../src/runner';
import { machineDescription } from '../src/load/machine';
import { openScratchDatabase } from '../src/db/scratch-database';

/**
 * `npm run bench:lock-stall`: how long live traffic stalls while a migration's ALTER TABLE
 * waits for its lock behind a long transaction. A waiting ACCESS EXCLUSIVE request queues
 * every later query on the table behind it; the runner's lock_timeout bounds that wait, then
 * retries with backoff while traffic flows. Compared with the same ALTER without lock_timeout.
 * Prints figures; no assertions.
 */
const LOCK_TIMEOUT_MS = Number(process.env.BENCH_LOCK_TIMEOUT_MS ?? 1_000);
const BLOCKER_MS = Number(process.env.BENCH_BLOCKER_MS ?? 4_000);
const WRITERS = Number(process.env.BENCH_WRITERS ?? 4);

interface Outcome {
  label: string;
  lockTimeoutMs: number;
  attempts: number;
  migrationMs: number;
  longestStallMs: number;
  p99Ms: number;
  queries: number;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Closed-loop writers: each connection updates a random row as fast as it is answered. */
async function startTraffic(url: string) {
  const latencies: number[] = [];
  let running = true;
  const clients = await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      const client = new Client({ connectionString: url, application_name: 'bench-traffic' });
      await client.connect();
      return client;
    }),
  );
  const loops = clients.map(async (client) => {
    while (running) {
      const started = performance.now();
      await client.query('UPDATE orders SET hits = hits + 1 WHERE id = $1', [
        1 + Math.floor(Math.random() * 1000),
      ]);
      latencies.push(performance.now() - started);
    }
  });
  return async () => {
    running = false;
    await Promise.all(loops);
    await Promise.all(clients.map((client) => client.end()));
    return latencies;
  };
}

async function scenario(label: string, lockTimeoutMs: number): Promise<Outcome> {
  const database = await openScratchDatabase('bench_lock_stall', process.env.DATABASE_URL);
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-lock-stall-'));
  try {
    const setup = new Client({ connectionString: database.url });
    await setup.connect();
    await setup.query(`CREATE TABLE orders (id bigint PRIMARY KEY, hits bigint NOT NULL DEFAULT 0);
      INSERT INTO orders (id) SELECT generate_series(1, 1000)`);
    await setup.end();
    fs.mkdirSync(path.join(folder, 'pre-deploy'));
    fs.writeFileSync(
      path.join(folder, 'pre-deploy', '20260101000000-add-orders-note.sql'),
      'ALTER TABLE orders ADD COLUMN note text;\n',
    );

    const stopTraffic = await startTraffic(database.url);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const blocker = new Client({
      connectionString: database.url,
      application_name: 'bench-report',
    });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT count(*) FROM orders');
    const blockerDone = new Promise<void>((resolve) =>
      setTimeout(() => blocker.query('COMMIT').then(() => blocker.end().then(resolve)), BLOCKER_MS),
    );

    const started = performance.now();
    const { applied } = await migrateDatabase({
      databaseUrl: database.url,
      phases: ['pre'],
      logger: silentLogger,
      migrationsDir: folder,
      settings: { lockTimeoutMs, maxRetries: 50 },
    });
    const migrationMs = performance.now() - started;
    await blockerDone;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const latencies = await stopTraffic();
    return {
      label,
      lockTimeoutMs,
      attempts: applied[0].attempts,
      migrationMs,
      longestStallMs: Math.max(...latencies),
      p99Ms: percentile(latencies, 99),
      queries: latencies.length,
    };
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
    await database.close();
  }
}

function row(cells: (string | number)[]): string {
  const widths = [38, 14, 10, 12, 15, 10, 8];
  return cells
    .map((cell, i) => String(cell).padEnd(widths[i]))
    .join('')
    .trimEnd();
}

async function main(): Promise<void> {
  console.log(
    `lock-stall: ${WRITERS} connections updating random rows of orders while a migration runs ` +
      `ALTER TABLE orders ADD COLUMN behind a transaction that reads orders for ${BLOCKER_MS} ms`,
  );
  console.log(`machine: ${machineDescription()}\n`);
  const outcomes = [
    await scenario(`runner, lock_timeout ${LOCK_TIMEOUT_MS} ms`, LOCK_TIMEOUT_MS),
    await scenario('no lock_timeout (plain ALTER TABLE)', 0),
  ];
  console.log(
    row(['scenario', 'lock_timeout', 'attempts', 'migration', 'longest stall', 'p99', 'queries']),
  );
  for (const outcome of outcomes) {
    console.log(
      row([
        outcome.label,
        outcome.lockTimeoutMs ? `${outcome.lockTimeoutMs} ms` : 'none',
        outcome.attempts,
        `${Math.round(outcome.migrationMs)} ms`,
        `${Math.round(outcome.longestStallMs)} ms`,
        `${outcome.p99Ms.toFixed(1)} ms`,
        outcome.queries,
      ]),
    );
  }
  const [runner] = outcomes;
  console.log(
    `\nlongest stall of live traffic under the runner: ${Math.round(runner.longestStallMs)} ms ` +
      `for a lock_timeout of ${runner.lockTimeoutMs} ms ` +
      `(${(runner.longestStallMs / runner.lockTimeoutMs).toFixed(2)} x)`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
