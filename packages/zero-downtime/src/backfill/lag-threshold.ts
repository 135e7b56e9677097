import { BackfillError } from './errors';

/**
 * `--max-lag` takes either a size (`16MB`: WAL bytes the slowest replica has not replayed, the
 * reliable measure) or a duration (`5s`: `replay_lag`, which PostgreSQL leaves NULL or stale
 * while the primary is idle). A bare number is refused: bytes and milliseconds differ by
 * orders of magnitude and guessing wrong silently disables throttling.
 */
export type LagThreshold = { kind: 'bytes'; bytes: number } | { kind: 'time'; ms: number };

const BYTE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1024,
  mb: 1024 ** 2,
  gb: 1024 ** 3,
};
const TIME_UNITS: Record<string, number> = { ms: 1, s: 1000, min: 60_000 };

export function parseLagThreshold(text: string): LagThreshold {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(text);
  const unit = match?.[2].toLowerCase() ?? '';
  const amount = Number(match?.[1]);
  if (match && unit in BYTE_UNITS) return { kind: 'bytes', bytes: amount * BYTE_UNITS[unit] };
  if (match && unit in TIME_UNITS) return { kind: 'time', ms: amount * TIME_UNITS[unit] };
  throw new BackfillError(
    'BACKFILL_BAD_OPTION',
    `--max-lag "${text}" needs a unit: a WAL size such as 16MB (recommended: PostgreSQL's ` +
      `replay_lag goes stale when the primary is idle) or a time such as 5s or 500ms.`,
  );
}

export function describeLag(threshold: LagThreshold): string {
  return threshold.kind === 'bytes' ? formatBytes(threshold.bytes) : `${threshold.ms} ms`;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${Math.round(bytes)} B`;
}
