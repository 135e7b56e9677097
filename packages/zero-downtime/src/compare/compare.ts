import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, type ClientBase, type Pool } from 'pg';

import { findProjectRoot } from '../core/project';
import { silentLogger, type Logger } from '../core/logger';
import { CompareError } from './errors';
import {
  diffRows,
  differenceLine,
  persistent,
  type ChunkRow,
  type Difference,
} from './differences';
import {
  boundaryQuery,
  chunkHashQuery,
  chunkRowsQuery,
  keyNotAfterQuery,
  SESSION_SETTINGS,
  type KeyValues,
  type Range,
} from './statements';
import { resolveSides, type CompareSide } from './tables';
import { plannerRows } from '../backfill/catalog';

export interface CompareOptions {
  /** `table` or `schema.table`. */
  source: string;
  target: string;
  /** Columns both tables are walked by (unique); default the source's primary key. */
  key?: string[];
  /** Columns compared; default every column of the source. */
  columns?: string[];
  /** Keys per chunk. */
  chunkSize?: number;
  /** The JSON-lines report; default `reports/compare-<source>-<target>-<time>.jsonl`. */
  out?: string;
  /** Both tables in one database: a URL, or a pool. */
  databaseUrl?: string;
  pool?: Pool;
  /** Tables in two databases (either defaults to `databaseUrl`). */
  sourceUrl?: string;
  targetUrl?: string;
  /** Snapshots a differing chunk is read in before it is reported (the first included). */
  recheckAttempts?: number;
  recheckDelayMs?: number;
  logger?: Logger;
  /** Called after the tables are resolved and after each chunk. */
  onProgress?: (progress: CompareProgress) => void;
  /** What the comparison is doing before the first chunk (resolving, estimating). */
  onStatus?: (text: string) => void;
  signal?: AbortSignal;
}

export interface CompareProgress {
  chunks: number;
  sourceRows: number;
  targetRows: number;
  differences: number;
  /** The planner's estimate of the source's rows at the start (for a percent and an ETA). */
  estimatedSourceRows: number;
  elapsedMs: number;
}

export interface CompareResult extends Omit<CompareProgress, 'estimatedSourceRows' | 'elapsedMs'> {
  identical: boolean;
  missing: number;
  extra: number;
  changed: number;
  /** Whether the walk was stopped by the signal before the end. */
  stopped: boolean;
  out: string;
}

export const COMPARE_DEFAULTS = { chunkSize: 1_000, recheckAttempts: 3, recheckDelayMs: 200 };

interface Sessions {
  source: ClientBase;
  target: ClientBase;
  same: boolean;
  close(): Promise<void>;
}

/**
 * Compares two tables chunk by chunk by key: see docs/backfill-and-compare.md. Every
 * difference is one JSON line in `out`; the result counts them.
 */
export async function compareTables(options: CompareOptions): Promise<CompareResult> {
  const chunkSize = options.chunkSize ?? COMPARE_DEFAULTS.chunkSize;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new CompareError('COMPARE_BAD_OPTION', `--chunk must be a whole number of at least 1.`);
  }
  options.onStatus?.(`compare: connecting`);
  const sessions = await openSessions(options);
  try {
    options.onStatus?.(
      `compare: reading the definitions of ${options.source} and ${options.target}`,
    );
    const sides = await resolveSides(sessions.source, sessions.target, options);
    options.onStatus?.(`compare: estimating the rows of ${sides.source.table.display}`);
    const estimatedSourceRows = await plannerRows(
      sessions.source,
      `SELECT 1 FROM ${sides.source.table.sql}`,
    );
    const out = options.out ?? defaultReportPath(options.source, options.target);
    const walk = new Walk(sessions, sides, { ...options, chunkSize, out }, estimatedSourceRows);
    return await walk.run();
  } finally {
    await sessions.close();
  }
}

async function openSessions(options: CompareOptions): Promise<Sessions> {
  const sourceUrl = options.sourceUrl ?? options.databaseUrl;
  const targetUrl = options.targetUrl ?? options.databaseUrl;
  if (options.pool && !options.sourceUrl && !options.targetUrl) {
    const client = await options.pool.connect();
    return { source: client, target: client, same: true, close: async () => client.release() };
  }
  if (!sourceUrl || !targetUrl) {
    throw new CompareError(
      'COMPARE_BAD_OPTION',
      'compare needs a database: databaseUrl or a pool, or sourceUrl and targetUrl.',
    );
  }
  const connect = async (url: string) => {
    const client = new Client({ connectionString: url, application_name: 'zdm-compare' });
    await client.connect();
    return client;
  };
  const source = await connect(sourceUrl);
  if (sourceUrl === targetUrl) {
    return { source, target: source, same: true, close: () => source.end() };
  }
  const target = await connect(targetUrl).catch(async (error: unknown) => {
    await source.end();
    throw error;
  });
  return {
    source,
    target,
    same: false,
    close: async () => {
      await Promise.all([source.end(), target.end()]);
    },
  };
}

export function defaultReportPath(source: string, target: string, now = new Date()): string {
  const safe = (name: string) => name.replace(/[^A-Za-z0-9_.-]+/g, '_');
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  return path.join(
    findProjectRoot(),
    'reports',
    `compare-${safe(source)}-${safe(target)}-${stamp}.jsonl`,
  );
}

interface WalkSettings extends CompareOptions {
  chunkSize: number;
  out: string;
}

interface ChunkResult {
  range: Range;
  sourceRows: number;
  targetRows: number;
  differences: Difference[];
}

class Walk {
  private readonly counts = { missing: 0, extra: 0, changed: 0 };
  private readonly progress = { chunks: 0, sourceRows: 0, targetRows: 0, differences: 0 };
  private readonly started = Date.now();
  private readonly logger: Logger;
  private readonly columns: string[];
  private lastLog = Date.now();

  constructor(
    private readonly sessions: Sessions,
    private readonly sides: { source: CompareSide; target: CompareSide },
    private readonly settings: WalkSettings,
    private readonly estimatedSourceRows: number,
  ) {
    this.logger = settings.logger ?? silentLogger;
    this.columns = sides.source.columns.map((column) => column.name);
  }

  async run(): Promise<CompareResult> {
    fs.mkdirSync(path.dirname(this.settings.out), { recursive: true });
    const file = fs.openSync(this.settings.out, 'w');
    let stopped = false;
    this.report();
    try {
      let after: KeyValues | null = null;
      for (;;) {
        if (this.settings.signal?.aborted) {
          stopped = true;
          break;
        }
        const chunk = await this.compareChunk(after);
        this.record(file, chunk);
        if (!chunk.range.upTo) break;
        after = chunk.range.upTo;
      }
    } finally {
      fs.closeSync(file);
    }
    const identical = this.progress.differences === 0 && !stopped;
    return { ...this.progress, ...this.counts, identical, stopped, out: this.settings.out };
  }

  private record(file: number, chunk: ChunkResult): void {
    for (const difference of chunk.differences) {
      fs.writeSync(file, `${differenceLine(difference, this.columns)}\n`);
      this.counts[difference.kind] += 1;
    }
    this.progress.chunks += 1;
    this.progress.sourceRows += chunk.sourceRows;
    this.progress.targetRows += chunk.targetRows;
    this.progress.differences += chunk.differences.length;
    this.report();
    // Without a progress display, a log line every 10 s says the walk is alive.
    if (!this.settings.onProgress && Date.now() - this.lastLog >= 10_000) {
      this.lastLog = Date.now();
      this.logger.info(
        `compare: ${this.progress.chunks} chunks, ${this.progress.sourceRows} source rows, ` +
          `${this.progress.differences} differences so far`,
      );
    }
  }

  private report(): void {
    this.settings.onProgress?.({
      ...this.progress,
      estimatedSourceRows: this.estimatedSourceRows,
      elapsedMs: Date.now() - this.started,
    });
  }

  /** One chunk in one snapshot; a differing chunk is read again before it is believed. */
  private async compareChunk(after: KeyValues | null): Promise<ChunkResult> {
    const first = await this.inSnapshot(async () => {
      const range: Range = { after, upTo: await this.boundary(after) };
      return { range, ...(await this.readChunk(range)) };
    });
    let { differences } = first;
    const attempts = this.settings.recheckAttempts ?? COMPARE_DEFAULTS.recheckAttempts;
    for (let attempt = 1; attempt < attempts && differences.length > 0; attempt++) {
      await sleep(this.settings.recheckDelayMs ?? COMPARE_DEFAULTS.recheckDelayMs);
      const again = await this.inSnapshot(() => this.readChunk(first.range));
      differences = persistent(differences, again.differences);
    }
    return { ...first, differences };
  }

  private async readChunk(range: Range): Promise<Omit<ChunkResult, 'range'>> {
    const { source, target } = this.sides;
    const [sourceHash, targetHash] = await Promise.all([
      this.query<{ rows: number; hash: string | null }>('source', chunkHashQuery(source, range)),
      this.query<{ rows: number; hash: string | null }>('target', chunkHashQuery(target, range)),
    ]);
    const counts = { sourceRows: sourceHash[0].rows, targetRows: targetHash[0].rows };
    if (sourceHash[0].hash === targetHash[0].hash) return { ...counts, differences: [] };
    const sourceRows = await this.query<ChunkRow>('source', chunkRowsQuery(source, range));
    const targetRows = await this.query<ChunkRow>('target', chunkRowsQuery(target, range));
    return { ...counts, differences: diffRows(sourceRows, targetRows, this.columns) };
  }

  /** The chunk's upper key: the nearer of both sides' `chunkSize`-th next key (null: the end). */
  private async boundary(after: KeyValues | null): Promise<KeyValues | null> {
    const { source, target } = this.sides;
    const size = this.settings.chunkSize;
    const [fromSource] = await this.query<{ key: KeyValues }>(
      'source',
      boundaryQuery(source, after, size),
    );
    const [fromTarget] = await this.query<{ key: KeyValues }>(
      'target',
      boundaryQuery(target, after, size),
    );
    if (!fromSource || !fromTarget) return fromSource?.key ?? fromTarget?.key ?? null;
    const [order] = await this.query<{ not_after: boolean }>(
      'source',
      keyNotAfterQuery(source, fromSource.key, fromTarget.key),
    );
    return order.not_after ? fromSource.key : fromTarget.key;
  }

  private async query<Row extends object>(
    role: 'source' | 'target',
    query: { text: string; values: string[] },
  ): Promise<Row[]> {
    const result = await this.sessions[role].query<Row>(query.text, query.values);
    return result.rows;
  }

  /**
   * Runs `work` in a REPEATABLE READ snapshot: one transaction when both tables share a
   * database, so a writer that changes both in one transaction is seen entirely or not at all.
   */
  private async inSnapshot<T>(work: () => Promise<T>): Promise<T> {
    const { source, target, same } = this.sessions;
    const clients = same ? [source] : [source, target];
    const settings = SESSION_SETTINGS.map(
      ([name, value]) => `set_config('${name}', '${value}', true)`,
    );
    for (const client of clients) {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query(`SELECT ${settings.join(', ')}`);
    }
    try {
      const result = await work();
      for (const client of clients) await client.query('COMMIT');
      return result;
    } catch (error) {
      for (const client of clients) await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
}
