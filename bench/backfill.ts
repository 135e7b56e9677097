import { Client, Pool } from 'pg';
import { backfill, BACKFILL_DEFAULTS } from '../app/zero-downtime/backfill';
import { machineDescription, openBenchDatabase } from './support';

/**
 * `npm run bench:backfill`: on a table of 1,000,000 rows, the time of one `UPDATE` of every row
 * next to the time of our batched backfill at default settings (no pause), and the p99 latency
 * of a concurrent writer workload during each, as a ratio to its p99 with nothing else running.
 * The table is rebuilt before every run so each starts from the same state. Prints figures; no
 * assertions.
 */
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const WRITERS = Number(process.env.BENCH_WRITERS ?? 4);
/** Per writer connection; the workload is open-loop, so a stalled writer piles up latency. */
const WRITER_RATE = Number(process.env.BENCH_WRITER_RATE ?? 25);
const BASELINE_S = Number(process.env.BENCH_BASELINE_S ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const BATCH_SIZE = process.env.BENCH_BATCH_SIZE ? Number(process.env.BENCH_BATCH_SIZE) : undefined;

const SET = 'doubled = value * 2';

interface Run {
  seconds: number;
  writerP50Ms: number;
  writerP99Ms: number;
  writerOps: number;
}

async function main(): Promise<void> {
  const database = await openBenchDatabase('bench_backfill');
  const db = new Client({ connectionString: database.url });
  await db.connect();
  try {
    const time = async (work: () => Promise<unknown>) => {
      const started = performance.now();
      await work();
      return (performance.now() - started) / 1000;
    };
    const singleUpdate = () => db.query(`UPDATE bench_items SET ${SET}`);
    let name = 0;
    const ourBackfill = () =>
      backfill({
        databaseUrl: database.url,
        name: `bench-${name++}`,
        table: 'bench_items',
        set: SET,
        batchSize: BATCH_SIZE,
      });

    const fresh = async <T>(work: () => Promise<T>) => {
      await resetTable(db);
      return work();
    };
    // Alone, each is timed ROUNDS times, interleaved, and the best kept: the first writes to a
    // fresh server also pay for creating WAL segments.
    const alone = { update: Infinity, backfill: Infinity };
    for (let round = 0; round < ROUNDS; round++) {
      alone.update = Math.min(alone.update, await fresh(() => time(singleUpdate)));
      alone.backfill = Math.min(alone.backfill, await fresh(() => time(ourBackfill)));
    }
    const baseline = await fresh(() => withWriters(database.url, () => sleep(BASELINE_S * 1000)));
    const underLoad = {
      update: await fresh(() => withWriters(database.url, () => time(singleUpdate))),
      backfill: await fresh(() => withWriters(database.url, () => time(ourBackfill))),
    };
    report(alone, baseline, underLoad);
  } finally {
    await db.end();
    await database.close();
  }
}

async function resetTable(db: Client): Promise<void> {
  await db.query('DROP TABLE IF EXISTS bench_items');
  await db.query(`CREATE TABLE bench_items (
    id bigint PRIMARY KEY, value int NOT NULL, note text NOT NULL, doubled int)`);
  await db.query(`INSERT INTO bench_items (id, value, note)
    SELECT g, g % 1000, 'row ' || g || ' ' || md5(g::text) FROM generate_series(1, ${ROWS}) g`);
  await db.query('DROP TABLE IF EXISTS zdm_backfills');
  await db.query('VACUUM ANALYZE bench_items');
  await db.query('CHECKPOINT');
}

/** Runs `work` while WRITERS connections update random single rows at WRITER_RATE each. */
async function withWriters<T>(url: string, work: () => Promise<T>): Promise<Run & { result: T }> {
  const pool = new Pool({ connectionString: url, max: WRITERS });
  const samples: { intended: number; latency: number }[] = [];
  let running = true;
  const writer = async () => {
    const client = await pool.connect();
    try {
      const interval = 1000 / WRITER_RATE;
      let intended = performance.now();
      while (running) {
        // Latency counts from the intended start, so a writer stuck behind a lock is charged
        // for every write it could not send (no coordinated omission).
        const id = 1 + Math.floor(Math.random() * ROWS);
        await client.query('UPDATE bench_items SET value = value + 1 WHERE id = $1', [id]);
        samples.push({ intended, latency: performance.now() - intended });
        intended += interval;
        const wait = intended - performance.now();
        if (wait > 0) await sleep(wait);
      }
    } finally {
      client.release();
    }
  };
  const writers = Array.from({ length: WRITERS }, writer);
  await sleep(1_000);
  const started = performance.now();
  let result: T;
  let ended: number;
  try {
    result = await work();
    ended = performance.now();
  } finally {
    running = false;
    // Writes blocked behind the work finish after it: wait for them, they count.
    await Promise.all(writers);
    await pool.end();
  }
  const during = samples
    .filter((sample) => sample.intended >= started && sample.intended <= ended)
    .map((sample) => sample.latency);
  return {
    result,
    seconds: (ended - started) / 1000,
    writerP50Ms: percentile(during, 0.5),
    writerP99Ms: percentile(during, 0.99),
    writerOps: during.length,
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function report(
  alone: { update: number; backfill: number },
  baseline: Run,
  underLoad: { update: Run & { result: number }; backfill: Run & { result: number } },
): void {
  const batchSize = BATCH_SIZE ?? BACKFILL_DEFAULTS.batchSize;
  const base = baseline.writerP99Ms;
  const figures = {
    benchmark: 'backfill',
    rows: ROWS,
    batchSize,
    writers: WRITERS,
    writerRatePerConnection: WRITER_RATE,
    singleUpdateSeconds: round(alone.update),
    backfillSeconds: round(alone.backfill),
    backfillToUpdateRatio: round(alone.backfill / alone.update),
    writerP50BaselineMs: round(baseline.writerP50Ms),
    writerP99BaselineMs: round(base),
    writerP50DuringUpdateMs: round(underLoad.update.writerP50Ms),
    writerP50DuringBackfillMs: round(underLoad.backfill.writerP50Ms),
    singleUpdateUnderLoadSeconds: round(underLoad.update.result),
    writerP99DuringUpdateMs: round(underLoad.update.writerP99Ms),
    writerP99DuringUpdateRatio: round(underLoad.update.writerP99Ms / base),
    backfillUnderLoadSeconds: round(underLoad.backfill.result),
    writerP99DuringBackfillMs: round(underLoad.backfill.writerP99Ms),
    writerP99DuringBackfillRatio: round(underLoad.backfill.writerP99Ms / base),
  };
  const lines = [
    `machine: ${machineDescription()}`,
    `table: ${ROWS.toLocaleString('en')} rows; set "${SET}"; backfill batch ${batchSize} keys, no pause`,
    `writers: ${WRITERS} connections x ${WRITER_RATE} single-row updates/s by random key (open loop)`,
    '',
    '| run | seconds | ratio to UPDATE | writer p50 ms | writer p99 ms | p99 / baseline p99 |',
    '|---|---|---|---|---|---|',
    `| writers alone (baseline, ${BASELINE_S} s) | - | - | ${figures.writerP50BaselineMs} | ${figures.writerP99BaselineMs} | 1.00 |`,
    `| single UPDATE, alone (best of ${ROUNDS}) | ${figures.singleUpdateSeconds} | 1.00 | - | - | - |`,
    `| backfill, alone (best of ${ROUNDS}) | ${figures.backfillSeconds} | ${figures.backfillToUpdateRatio} | - | - | - |`,
    `| single UPDATE, with writers | ${figures.singleUpdateUnderLoadSeconds} | - | ${figures.writerP50DuringUpdateMs} | ${figures.writerP99DuringUpdateMs} | ${figures.writerP99DuringUpdateRatio} |`,
    `| backfill, with writers | ${figures.backfillUnderLoadSeconds} | - | ${figures.writerP50DuringBackfillMs} | ${figures.writerP99DuringBackfillMs} | ${figures.writerP99DuringBackfillRatio} |`,
    '',
    'goals: backfill/UPDATE time <= 1.8; writer p99 during the backfill <= 2x baseline',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stdout.write(`BENCH_JSON ${JSON.stringify(figures)}\n`);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
