import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, machineDescription } from 'zero-downtime-toolkit';

/**
 * `npm run bench:start`: how long a restart of `npm start` takes to be ready (GET
 * /health/ready answers 200) when no source changed, next to `node dist/app/server.js` alone
 * (the same app without npm and the build check) measured in the same run. Both use the
 * embedded PostgreSQL in a data folder of their own, created once before the timings.
 */

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const root = path.resolve(__dirname, '..');
const dataDir = path.join(os.tmpdir(), `zdm-bench-start-${process.pid}`, 'postgres');

async function timeToReady(command: string, args: string[]): Promise<number> {
  const port = await freePort();
  const started = process.hrtime.bigint();
  const child = spawn(command, args, {
    cwd: root,
    detached: true,
    stdio: process.env.BENCH_DEBUG ? 'inherit' : 'ignore',
    env: {
      ...process.env,
      DATABASE_URL: '',
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      PORT: String(port),
      EMBEDDED_POSTGRES_DIR: dataDir,
      EMBEDDED_POSTGRES_PORT: String(await freePort()),
    },
  });
  try {
    for (const until = Date.now() + 180_000; Date.now() < until;) {
      const ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
        (res) => res.status === 200,
        () => false,
      );
      if (ready) return Number(process.hrtime.bigint() - started) / 1e9;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`${command} ${args.join(' ')} was not ready within 180 s`);
  } finally {
    await stopGroup(child.pid!);
  }
}

/**
 * Stops the whole process group and waits until none of it is left: npm exits on SIGTERM at
 * once while the app still drains and stops its database, which the next start would meet.
 */
async function stopGroup(pgid: number): Promise<void> {
  const alive = () => {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (alive()) process.kill(-pgid, 'SIGTERM');
  while (alive()) await new Promise((resolve) => setTimeout(resolve, 20));
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

async function main(): Promise<void> {
  console.log(machineDescription());
  // The first start builds what changed and creates the cluster: not a restart, not timed.
  const first = await timeToReady('npm', ['start']);
  console.log(`first start (build + initdb): ${first.toFixed(2)} s`);
  const npmStart: number[] = [];
  const node: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    npmStart.push(await timeToReady('npm', ['start']));
    node.push(await timeToReady(process.execPath, ['dist/app/server.js']));
  }
  const format = (values: number[]) => values.map((value) => value.toFixed(2)).join(' ');
  console.log(`npm start, restart, no source change (s): ${format(npmStart)}`);
  console.log(`node dist/app/server.js (s):              ${format(node)}`);
  console.log(
    `median: npm start ${median(npmStart).toFixed(2)} s, node alone ${median(node).toFixed(2)} s ` +
      `(npm and the build check add ${(median(npmStart) - median(node)).toFixed(2)} s)`,
  );
  console.log(
    `BENCH_JSON ${JSON.stringify({ npmStartSeconds: npmStart, nodeSeconds: node, firstSeconds: first })}`,
  );
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => fs.rmSync(path.dirname(dataDir), { recursive: true, force: true }));
