import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { machineDescription } from 'zero-downtime-toolkit';

/**
 * `npm run bench`: every benchmark in one run, each comparing the starter with a baseline
 * measured side by side, written to BENCHMARKS.md with the machine and the commands.
 */
const BENCHMARKS = [
  {
    script: 'bench:http',
    what: 'HTTP overhead: the starter next to bare Express doing the same work',
  },
  {
    script: 'bench:start',
    what: 'Restart: npm start with no source change next to node alone, to ready',
  },
  {
    script: 'bench:backfill',
    what: 'Backfill: one UPDATE of every row next to our batched backfill',
  },
  {
    script: 'bench:lock-stall',
    what: 'Lock stalls: live writes while a migration waits behind a long transaction',
  },
  {
    script: 'bench:deploy',
    what: 'Deploys under keep-alive load: failed requests and p99 during and outside deploys',
  },
];

interface Outcome {
  script: string;
  what: string;
  exitCode: number | null;
  output: string;
  seconds: number;
}

function run(script: string): Promise<{ exitCode: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
      process.stdout.write(chunk);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('exit', (exitCode) => resolve({ exitCode, output }));
  });
}

function section(outcome: Outcome): string {
  const text = outcome.output
    .split('\n')
    .filter((line) => !line.startsWith('BENCH_JSON') && !line.startsWith('>'))
    .join('\n')
    .trim();
  const status =
    outcome.exitCode === 0 ? '' : `\n**This benchmark failed (exit code ${outcome.exitCode}).**\n`;
  return `## ${outcome.what}\n\nCommand: \`npm run ${outcome.script}\` (${outcome.seconds.toFixed(0)} s)\n${status}\n${text}\n`;
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const selected = only.length ? BENCHMARKS.filter((b) => only.includes(b.script)) : BENCHMARKS;
  const outcomes: Outcome[] = [];
  for (const bench of selected) {
    process.stdout.write(`\n=== npm run ${bench.script}\n`);
    const started = Date.now();
    const { exitCode, output } = await run(bench.script);
    outcomes.push({ ...bench, exitCode, output, seconds: (Date.now() - started) / 1000 });
  }
  const document = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}.`,
    `Machine: ${machineDescription()}.`,
    'Every figure is compared with a baseline measured in the same run on the same machine; this',
    'machine is shared, so absolute numbers move between runs while the ratios are the point.',
    '',
    ...outcomes.map(section),
  ].join('\n');
  fs.writeFileSync(path.join(__dirname, '..', 'BENCHMARKS.md'), document);
  process.stdout.write(`\nwrote BENCHMARKS.md\n`);
  process.exitCode = outcomes.every((outcome) => outcome.exitCode === 0) ? 0 : 1;
}

void main();
