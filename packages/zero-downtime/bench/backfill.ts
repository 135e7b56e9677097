import { Client, Pool } from 'pg';
import { backfill, BACKFILL_DEFAULTS } from '../src/backfill';
import { machineDescription } from '../src/load/machine';
import { openScratchDatabase } from '../src/db/scratch-database';

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
  const database = await openScratchDatabase('bench_backfill', process.env.DATABASE_URL);
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
    // Each loaded run is compared with the writers alone just before and just after it, on a
    // fresh table, and the lower of those two p99s is its baseline: load from elsewhere on the
    // machine can only make the ratio look worse, never better.
    const writersAlone = () => withWriters(database.url, () => sleep(BASELINE_S * 1000));
    const before = await fresh(writersAlone);
    const update = await fresh(() => withWriters(database.url, () => time(singleUpdate)));
    const between = await fresh(writersAlone);
    const backfilled = await fresh(() => withWriters(database.url, () => time(ourBackfill)));
    const after = await fresh(writersAlone);
    const calmer = (a: Run, b: Run) => (a.writerP99Ms <= b.writerP99Ms ? a : b);
    report(
      alone,
      { update: calmer(before, between), backfill: calmer(between, after) },
      { update, backfill: backfilled },
    );
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
  baseline: { update: Run; backfill: Run },
  underLoad: { update: Run & { result: number }; backfill: Run & { result: number } },
): void {
  const batchSize = BATCH_SIZE ?? BACKFILL_DEFAULTS.batchSize;
  const figures = {
    benchmark: 'backfill',
    rows: ROWS,
    batchSize,
    writers: WRITERS,
    writerRatePerConnection: WRITER_RATE,
    singleUpdateSeconds: round(alone.update),
    backfillSeconds: round(alone.backfill),
    backfillToUpdateRatio: round(alone.backfill / alone.update),
    writerP99BaselineForUpdateMs: round(baseline.update.writerP99Ms),
    singleUpdateUnderLoadSeconds: round(underLoad.update.result),
    writerP99DuringUpdateMs: round(underLoad.update.writerP99Ms),
    writerP99DuringUpdateRatio: round(underLoad.update.writerP99Ms / baseline.update.writerP99Ms),
    writerP99BaselineForBackfillMs: round(baseline.backfill.writerP99Ms),
    backfillUnderLoadSeconds: round(underLoad.backfill.result),
    writerP99DuringBackfillMs: round(underLoad.backfill.writerP99Ms),
    writerP99DuringBackfillRatio: round(
      underLoad.backfill.writerP99Ms / baseline.backfill.writerP99Ms,
    ),
  };
  const row = (name: string, run: Run, seconds: string, base?: Run) =>
    `| ${name} | ${seconds} | ${round(run.writerP50Ms)} | ${round(run.writerP99Ms)} | ` +
    `${base ? round(run.writerP99Ms / base.writerP99Ms) : '1.00'} |`;
  const lines = [
    `machine: ${machineDescription()}`,
    `table: ${ROWS.toLocaleString('en')} rows; set "${SET}"; backfill batch ${batchSize} keys, no pause`,
    `writers: ${WRITERS} connections x ${WRITER_RATE} single-row updates/s by random key (open loop)`,
    '',
    `| alone (best of ${ROUNDS}) | seconds | ratio to UPDATE |`,
    '|---|---|---|',
    `| single UPDATE of every row | ${figures.singleUpdateSeconds} | 1.00 |`,
    `| backfill, default settings, no pause | ${figures.backfillSeconds} | ${figures.backfillToUpdateRatio} |`,
    '',
    '| with writers | seconds | writer p50 ms | writer p99 ms | p99 / baseline p99 |',
    '|---|---|---|---|---|',
    row(`writers alone, calmer of before/after (${BASELINE_S} s)`, baseline.update, '-'),
    row(
      'single UPDATE',
      underLoad.update,
      figures.singleUpdateUnderLoadSeconds.toString(),
      baseline.update,
    ),
    row(`writers alone, calmer of before/after (${BASELINE_S} s)`, baseline.backfill, '-'),
    row(
      'backfill',
      underLoad.backfill,
      figures.backfillUnderLoadSeconds.toString(),
      baseline.backfill,
    ),
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
