import { execFileSync, fork, spawnSync, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Client } from 'pg';
import {
  freePort,
  machineDescription,
  migrateDatabase,
  openScratchDatabase,
} from 'zero-downtime-toolkit';
import { createLogger } from '../app/logger';

/**
 * `npm run bench:http`: requests/s and p99 of the starter (metrics on, as by default) next to
 * bare Express doing the same work, measured in one run on one machine with one load tool
 * (autocannon), and their ratio. Both servers run side by side and are measured in turns, so
 * a burst of load from elsewhere on a shared machine hits one pair of runs, not one side: the
 * ratio reported is the median of the pairs' ratios.
 *
 * A second figure comes from loading both servers at once, pinned to one core they share
 * (`taskset`), with the load generator on the other cores. The kernel's scheduler splits that
 * core evenly, so their throughput ratio is the ratio of their CPU cost per request, and load
 * from elsewhere hits both in the same moment. It needs taskset and a second core; without them
 * that column says why it is empty.
 */
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);

interface Figures {
  rps: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** Per route, starter/bare of each round with both servers on one core. */
interface SharedCore {
  ratios: Record<string, number[]>;
  failures: number;
}

interface Pair {
  bare: Figures;
  starter: Figures;
}

async function main(): Promise<void> {
  const database = await openScratchDatabase('bench_http', process.env.DATABASE_URL);
  try {
    await migrateDatabase({
      databaseUrl: database.url,
      phases: ['pre', 'post'],
      logger: createLogger({ env: 'test', logLevel: 'silent' }),
    });
    const userId = await seedUser(database.url);
    const servers = {
      bare: await startServer('bare', database.url),
      starter: await startServer('starter', database.url),
    };
    const routes = { '/health/live': '/health/live', '/users/:id': `/users/${userId}` };
    try {
      const results: Record<string, Pair[]> = {};
      for (const [key, route] of Object.entries(routes)) {
        for (const { url } of Object.values(servers)) await measure(url + route, 2); // warm-up
        for (let round = 0; round < ROUNDS; round++) {
          // Alternate which side goes first, so neither always runs on a warmer machine.
          const order =
            round % 2 === 0 ? (['bare', 'starter'] as const) : (['starter', 'bare'] as const);
          const pair: Partial<Pair> = {};
          for (const kind of order)
            pair[kind] = await measure(servers[kind].url + route, DURATION_S);
          (results[key] ??= []).push(pair as Pair);
        }
      }
      const unpinned = whyNotPinned();
      const shared =
        unpinned === undefined
          ? await measureSharingOneCore(servers, routes)
          : { ratios: {}, failures: 0 };
      report(results, shared, unpinned);
    } finally {
      for (const { child } of Object.values(servers)) child.kill('SIGKILL');
    }
  } finally {
    await database.close();
  }
}

async function seedUser(url: string): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ id: string }>(
    "INSERT INTO users (email, name) VALUES ('bench@example.com', 'Bench') RETURNING id",
  );
  await client.end();
  return rows[0].id;
}

async function startServer(
  kind: 'bare' | 'starter',
  databaseUrl: string,
): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = fork(path.join(__dirname, 'http-server.ts'), [kind], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

async function measure(url: string, duration: number): Promise<Figures> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration, pipelining: 1 });
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/** Why the one-core figure cannot be taken here, or undefined when it can. */
function whyNotPinned(): string | undefined {
  if (os.availableParallelism() < 2) return 'needs a second core for the load';
  if (spawnSync('taskset', ['--version']).status !== 0) return 'needs taskset (util-linux)';
  return undefined;
}

/** Both servers on core 0 and under load at once; per route, starter/bare of each round. */
async function measureSharingOneCore(
  servers: Record<'bare' | 'starter', { child: ChildProcess; url: string }>,
  routes: Record<string, string>,
): Promise<SharedCore> {
  const pin = (pid: number, cores: string) =>
    execFileSync('taskset', ['--all-tasks', '--cpu-list', '--pid', cores, String(pid)], {
      stdio: 'ignore',
    });
  pin(process.pid, `1-${os.availableParallelism() - 1}`);
  pin(servers.bare.child.pid!, '0');
  pin(servers.starter.child.pid!, '0');
  const connections = Math.max(1, Math.floor(CONNECTIONS / 2));
  const shared: SharedCore = { ratios: {}, failures: 0 };
  for (const [key, route] of Object.entries(routes)) {
    // The first round warms both up on their new core and is not counted.
    for (let round = 0; round <= ROUNDS; round++) {
      const [bare, starter] = await Promise.all(
        [servers.bare, servers.starter].map(({ url }) =>
          autocannon({ url: url + route, connections, duration: DURATION_S, pipelining: 1 }),
        ),
      );
      shared.failures += [bare, starter].reduce(
        (sum, run) => sum + run.errors + run.timeouts + run.non2xx,
        0,
      );
      if (round > 0) {
        (shared.ratios[key] ??= []).push(starter.requests.average / bare.requests.average);
      }
    }
  }
  return shared;
}

function best(figures: Figures[]): Figures {
  return figures.reduce((a, b) => (b.rps > a.rps ? b : a));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function report(
  results: Record<string, Pair[]>,
  shared: SharedCore,
  unpinned: string | undefined,
): void {
  const rows = Object.entries(results).map(([route, pairs]) => {
    const ratios = pairs.map((pair) => pair.starter.rps / pair.bare.rps);
    const sharedCoreRatios = shared.ratios[route] ?? [];
    return {
      route,
      bare: best(pairs.map((pair) => pair.bare)),
      starter: best(pairs.map((pair) => pair.starter)),
      ratio: median(ratios),
      ratios,
      sharedCoreRatio: sharedCoreRatios.length > 0 ? median(sharedCoreRatios) : null,
      sharedCoreRatios,
    };
  });
  const sharedColumn = (row: (typeof rows)[number]) =>
    row.sharedCoreRatio === null
      ? `none: ${unpinned}`
      : `${row.sharedCoreRatio.toFixed(2)} (${row.sharedCoreRatios.map((ratio) => ratio.toFixed(2)).join(' ')})`;
  const lines = [
    `machine: ${machineDescription()}`,
    `load: autocannon, ${CONNECTIONS} keep-alive connections, ${DURATION_S} s per run, ${ROUNDS} pairs of runs taken in turns`,
    `one core: both servers on core 0 at once, ${Math.max(1, Math.floor(CONNECTIONS / 2))} connections each, ${ROUNDS} rounds of ${DURATION_S} s after one of warm-up`,
    'starter: NODE_ENV=production, LOG_LEVEL=warn, metrics on (METRICS_ENABLED default)',
    '',
    '| route | bare Express req/s (best) | bare p99 ms | starter req/s (best) | starter p99 ms | starter/bare throughput (median of pairs) | each pair | starter/bare sharing one core (median, each round) |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (row) =>
        `| ${row.route} | ${row.bare.rps.toFixed(0)} | ${row.bare.p99} | ${row.starter.rps.toFixed(0)} | ${row.starter.p99} | ${row.ratio.toFixed(2)} | ${row.ratios.map((ratio) => ratio.toFixed(2)).join(' ')} | ${sharedColumn(row)} |`,
    ),
  ];
  const failures = Object.values(results)
    .flat()
    .flatMap((pair) => [pair.bare, pair.starter])
    .reduce((sum, run) => sum + run.errors + run.non2xx, shared.failures);
  lines.push('', `errors and non-2xx answers across all runs: ${failures}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stdout.write(`BENCH_JSON ${JSON.stringify({ benchmark: 'http', rows })}\n`);
}

void main().catch((error: unknown) => {
  process.stderr.write(`bench:http failed: ${(error as Error).message}\n`);
  process.exit(1);
});
