import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Figures read from a deploy's own output, per host: remote steps print `<step> done in N s`
 * behind the host's label (`  web1 | deploy: rollout done in 7.4 s`), and the ssh target
 * prints `<host>: <what> in N s` for what it times itself (copies, rollbacks).
 */
export interface HostTimings {
  /** `rollout`, `verify`, `copy`, `rollback`, ... -> seconds (summed over the deploy). */
  [what: string]: number;
}

export function timingsByHost(output: string, hosts: string[]): Record<string, HostTimings> {
  const result: Record<string, HostTimings> = Object.fromEntries(hosts.map((h) => [h, {}]));
  const add = (host: string, what: string, seconds: number) => {
    if (!result[host]) return;
    result[host][what] = round((result[host][what] ?? 0) + seconds);
  };
  for (const line of output.split('\n')) {
    const remote = /^\s+(\S+) \| deploy: ([\w-]+) done in ([\d.]+) s/.exec(line);
    if (remote) add(remote[1], remote[2], Number(remote[3]));
    const local = /^deploy: (\S+): (copied|rolled out|rolled back)\b.* in ([\d.]+) s/.exec(line);
    if (local) add(local[1], local[2].replace(' ', '-'), Number(local[3]));
  }
  return result;
}

/** What the ssh target says rsync sent to a host (`<host>: copied release X (N MB sent)`). */
export function sentMegabytes(output: string, host: string): number | null {
  const escaped = host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(
    `^deploy: ${escaped}: copied release \\S+ \\(([\\d.]+) MB sent\\)`,
    'm',
  ).exec(output);
  return match ? Number(match[1]) : null;
}

/** Bytes under a folder, as `du -sb` counts them (0 when it does not exist). */
export function bytesUnder(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
}

export function megabytes(bytes: number): number {
  return round(bytes / 1e6);
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Appends one scenario's figures to infra/reports/<name>.json (git-ignored) and prints them. */
export function report(name: string, scenario: string, figures: unknown): void {
  const dir = path.join(__dirname, '..', 'reports');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  const all = fs.existsSync(file)
    ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>)
    : {};
  all[scenario] = figures;
  fs.writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
  console.log(`${scenario}: ${JSON.stringify(figures, null, 2)}`);
}

export function resetReport(name: string): void {
  fs.rmSync(path.join(__dirname, '..', 'reports', `${name}.json`), { force: true });
}
