import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from './repo';

/** What the tests take from the project's docker-compose.yml, so they follow it. */
export interface ComposeService {
  image?: string;
  environment?: Record<string, string | number>;
  stop_grace_period?: string;
  healthcheck?: { test: string[] | string };
}

export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
}

export function readComposeFile(dir = repoRoot): ComposeFile {
  return parse(fs.readFileSync(path.join(dir, 'docker-compose.yml'), 'utf8'), {
    merge: true,
  }) as ComposeFile;
}

/** Compose durations: `30s`, `1m30s`, `500ms`, `1h`. */
export function durationMs(value: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1, us: 0.001 };
  let total = 0;
  let rest = value.trim();
  while (rest) {
    const match = /^(\d+(?:\.\d+)?)(ms|us|h|m|s)/.exec(rest);
    if (!match) throw new Error(`not a compose duration: "${value}"`);
    total += Number(match[1]) * units[match[2]];
    rest = rest.slice(match[0].length);
  }
  return total;
}

/** The app service's stop grace period (docker's default, 10 s, when the file sets none). */
export function appStopGraceMs(file: ComposeFile): number {
  const grace = file.services.app?.stop_grace_period;
  return grace ? durationMs(grace) : 10_000;
}

/** The app service's environment, as strings, without the variables a test sets itself. */
export function appEnvironment(file: ComposeFile, omit: string[] = []): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(file.services.app?.environment ?? {})) {
    if (!omit.includes(key)) env[key] = String(value);
  }
  return env;
}
