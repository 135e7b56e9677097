import { fork, type ChildProcess } from 'node:child_process';
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
 * `npm run bench:http`: requests/s and p99 of the starter next to bare Express doing the same
 * work, measured in one run on one machine with one load tool (autocannon), and their ratio.
 */
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

interface Figures {
  rps: number;
  p99: number;
  errors: number;
  non2xx: number;
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
    const results: Record<string, Record<string, Figures[]>> = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of ['bare', 'starter'] as const) {
        const { child, url } = await startServer(kind, database.url);
        try {
          for (const route of ['/health/live', `/users/${userId}`]) {
            const key = route.startsWith('/users') ? '/users/:id' : route;
            await measure(url + route, 2); // warm-up
            ((results[key] ??= {})[kind] ??= []).push(await measure(url + route, DURATION_S));
          }
        } finally {
          child.kill('SIGKILL');
        }
      }
    }
    report(results);
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

function best(figures: Figures[]): Figures {
  return figures.reduce((a, b) => (b.rps > a.rps ? b : a));
}

function report(results: Record<string, Record<string, Figures[]>>): void {
  const rows = Object.entries(results).map(([route, byKind]) => {
    const bare = best(byKind.bare);
    const starter = best(byKind.starter);
    return { route, bare, starter, ratio: starter.rps / bare.rps };
  });
  const lines = [
    `machine: ${machineDescription()}`,
    `load: autocannon, ${CONNECTIONS} keep-alive connections, ${DURATION_S} s per run, best of ${ROUNDS} rounds`,
    '',
    '| route | bare Express req/s | bare p99 ms | starter req/s | starter p99 ms | starter/bare throughput |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (row) =>
        `| ${row.route} | ${row.bare.rps.toFixed(0)} | ${row.bare.p99} | ${row.starter.rps.toFixed(0)} | ${row.starter.p99} | ${row.ratio.toFixed(2)} |`,
    ),
  ];
  const failures = rows.reduce(
    (sum, row) => sum + row.bare.errors + row.starter.errors + row.bare.non2xx + row.starter.non2xx,
    0,
  );
  lines.push('', `errors and non-2xx answers across all runs: ${failures}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stdout.write(`BENCH_JSON ${JSON.stringify({ benchmark: 'http', rows })}\n`);
}

void main().catch((error: unknown) => {
  process.stderr.write(`bench:http failed: ${(error as Error).message}\n`);
  process.exit(1);
});
