import { Client } from 'pg';
import { backfill, type BackfillProgress } from '../../src/backfill';
import { startReplicatedPair, type ReplicatedPair } from '../support/replica';

/**
 * A real primary and streaming replica. Replay is paused on the replica, so the WAL the
 * backfill writes piles up unreplayed: the backfill must wait, and go on once replay resumes.
 */

let pair: ReplicatedPair | undefined;
let primary: Client;

beforeAll(async () => {
  pair = await startReplicatedPair();
  primary = new Client({ connectionString: pair.primaryUrl });
  await primary.connect();
}, 120_000);

afterAll(async () => {
  await primary?.end();
  await pair?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(50);
  }
}

test('a backfill waits while a replica lags beyond --max-lag and finishes once replay resumes', async () => {
  const replicated = pair as ReplicatedPair;
  await primary.query('CREATE TABLE items (id bigint PRIMARY KEY, v int NOT NULL, w int)');
  await primary.query('INSERT INTO items SELECT g, g, NULL FROM generate_series(1, 5000) g');
  await replicated.waitForReplay();
  await replicated.pauseReplay();

  const progress: BackfillProgress[] = [];
  let settled = false;
  const run = backfill({
    databaseUrl: replicated.primaryUrl,
    name: 'lagged',
    table: 'items',
    set: 'w = v * 2',
    batchSize: 500,
    maxLag: '16kB',
    lagPollMs: 100,
    onProgress: (event) => progress.push(event),
  }).finally(() => (settled = true));

  await waitFor(() => progress.some((event) => event.state === 'waiting-for-lag'));
  await sleep(1_500);
  expect(settled).toBe(false);
  const waiting = progress.find((event) => event.state === 'waiting-for-lag');
  expect(waiting?.lag).toMatch(/^replica .* behind \(limit 16\.0 kB\)$/);
  const { rows } = await primary.query(
    "SELECT status, batches_done FROM zdm_backfills WHERE name = 'lagged'",
  );
  expect(rows[0].status).toBe('running');
  expect(rows[0].batches_done).toBeLessThan(10);

  await replicated.resumeReplay();
  const result = await run;
  expect(result.status).toBe('finished');
  expect(result.batchesDone).toBe(10);
  const updated = await primary.query('SELECT count(*)::int AS n FROM items WHERE w = v * 2');
  expect(updated.rows[0].n).toBe(5000);

  await replicated.waitForReplay();
  const replica = new Client({ connectionString: replicated.replicaUrl });
  await replica.connect();
  try {
    const onReplica = await replica.query('SELECT count(*)::int AS n FROM items WHERE w = v * 2');
    expect(onReplica.rows[0].n).toBe(5000);
  } finally {
    await replica.end();
  }
}, 90_000);
