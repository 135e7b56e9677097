import { setTimeout as sleep } from 'node:timers/promises';
import type { PoolClient } from 'pg';
import type { Logger } from '../core/logger';
import { adaptBatchSize, backoffMs, retryKind, runBatch, type BatchOutcome } from './batch';
import type { Checkpoint } from './checkpoint';
import { BackfillError } from './errors';
import { BACKFILL_DEFAULTS, type BackfillProgress, type ResolvedOptions } from './options';
import { estimateRemainingRows } from './plan';
import {
  describeReplicaLag,
  laggingReplica,
  measureReplicaLag,
  unreadableReplicas,
} from './replication-lag';
import type { BackfillTarget, KeyValues } from './statements';

/**
 * The batches of one run: wait for replicas, run a batch (retrying lock and statement
 * timeouts), record progress, adapt the batch size, pause; until the upper bound or a stop.
 */

export interface Run {
  db: PoolClient;
  options: ResolvedOptions;
  target: BackfillTarget;
  logger: Logger;
  onProgress?: (progress: BackfillProgress) => void;
  signal?: AbortSignal;
  started: number;
}

export class BatchLoop {
  thisRun = { rows: 0, batches: 0 };
  private batchSize: number;
  private estimatedRemaining = 0;
  private warnedUnreadable = false;

  constructor(
    private readonly run: Run,
    public checkpoint: Checkpoint,
    private readonly upperKey: KeyValues,
  ) {
    this.batchSize = run.options.batchSize;
  }

  async start(): Promise<'finished' | 'stopped'> {
    this.estimatedRemaining = await estimateRemainingRows(
      this.run.db,
      this.run.target,
      this.checkpoint.lastKey,
      this.upperKey,
    );
    for (;;) {
      if (this.run.signal?.aborted) return 'stopped';
      if (!(await this.waitForReplicas())) return 'stopped';
      const outcome = await this.batchWithRetries();
      if (!outcome) return 'stopped';
      if (outcome.recorded) this.advance(outcome);
      if (outcome.final) return 'finished';
      this.adapt(outcome);
      if (this.run.options.pauseMs > 0 && !(await pause(this.run.options.pauseMs, this.run.signal)))
        return 'stopped';
    }
  }

  private async batchWithRetries(): Promise<BatchOutcome | undefined> {
    const { options, db, logger, target } = this.run;
    for (let attempt = 0; ; attempt++) {
      try {
        return await runBatch(db, {
          name: options.name,
          target,
          lastKey: this.checkpoint.lastKey,
          upperKey: this.upperKey,
          batchSize: this.batchSize,
          batchesDone: this.checkpoint.batchesDone,
          lockTimeoutMs: options.lockTimeoutMs,
          statementTimeoutMs: options.statementTimeoutMs,
        });
      } catch (error) {
        const kind = retryKind(error);
        if (kind === 'none' || attempt >= options.maxRetries)
          throw batchFailure(error, attempt, this.checkpoint.batchesDone + 1);
        if (kind === 'timeout') this.batchSize = Math.max(1, Math.floor(this.batchSize / 2));
        const wait = backoffMs(attempt);
        logger.warn(
          `backfill "${options.name}": batch ${this.checkpoint.batchesDone + 1} ` +
            `${kind === 'lock' ? 'waited too long for a lock' : 'hit the statement timeout'} ` +
            `(${(error as Error).message}); retry ${attempt + 1}/${options.maxRetries} in ` +
            `${wait} ms with ${this.batchSize} keys`,
        );
        if (!(await pause(wait, this.run.signal))) return undefined;
      }
    }
  }

  private advance(outcome: BatchOutcome): void {
    this.checkpoint = {
      ...this.checkpoint,
      lastKey: outcome.lastKey,
      rowsDone: this.checkpoint.rowsDone + outcome.updated,
      batchesDone: this.checkpoint.batchesDone + 1,
    };
    this.thisRun.rows += outcome.updated;
    this.thisRun.batches += 1;
    this.report('running');
  }

  private adapt(outcome: BatchOutcome): void {
    const { targetBatchMs } = this.run.options;
    if (!targetBatchMs) return;
    this.batchSize = adaptBatchSize(this.batchSize, outcome.durationMs, targetBatchMs, {
      min: BACKFILL_DEFAULTS.minBatchSize,
      max: BACKFILL_DEFAULTS.maxBatchSize,
    });
  }

  /** Returns false when stopped while waiting. */
  private async waitForReplicas(): Promise<boolean> {
    const { maxLag, lagPollMs, name } = this.run.options;
    if (!maxLag) return true;
    let lastLog = 0;
    for (;;) {
      const lags = await measureReplicaLag(this.run.db);
      this.warnUnreadable(unreadableReplicas(lags, maxLag));
      const lagging = laggingReplica(lags, maxLag);
      if (!lagging) return true;
      const description = describeReplicaLag(lagging, maxLag);
      if (Date.now() - lastLog >= 10_000) {
        this.run.logger.info(`backfill "${name}" waiting: ${description}`);
        lastLog = Date.now();
      }
      this.report('waiting-for-lag', description);
      if (!(await pause(lagPollMs, this.run.signal))) return false;
    }
  }

  private warnUnreadable(replicas: string[]): void {
    if (replicas.length === 0 || this.warnedUnreadable) return;
    this.warnedUnreadable = true;
    this.run.logger.warn(
      `backfill "${this.run.options.name}": cannot read the replay position of ` +
        `${replicas.join(', ')} (needs superuser or GRANT pg_monitor); lag is not throttled for them.`,
    );
  }

  private report(state: BackfillProgress['state'], lag?: string): void {
    if (!this.run.onProgress) return;
    const elapsedMs = Date.now() - this.run.started;
    const rowsPerSecond = elapsedMs > 0 ? (this.thisRun.rows * 1000) / elapsedMs : 0;
    const remaining = Math.max(0, this.estimatedRemaining - this.thisRun.rows);
    this.run.onProgress({
      name: this.run.options.name,
      table: this.run.target.table.display,
      state,
      rowsDone: this.checkpoint.rowsDone,
      batchesDone: this.checkpoint.batchesDone,
      batchSize: this.batchSize,
      estimatedTotalRows: this.checkpoint.rowsDone + remaining,
      rowsPerSecond,
      etaMs: rowsPerSecond > 0 ? (remaining / rowsPerSecond) * 1000 : null,
      elapsedMs,
      lastKey: this.checkpoint.lastKey,
      lag,
    });
  }
}

function batchFailure(error: unknown, attempt: number, batch: number): Error {
  if (error instanceof BackfillError) return error;
  const message = (error as Error).message;
  if (retryKind(error) !== 'none') {
    return new BackfillError(
      'BACKFILL_BATCH_FAILED',
      `batch ${batch} still failed after ${attempt} retries: ${message}. The backfill stopped ` +
        `after its last finished batch; run the same command to resume (a smaller ` +
        `--batch-size or a quieter moment helps).`,
    );
  }
  if (!('code' in (error as object))) return error as Error;
  return new BackfillError(
    'BACKFILL_BATCH_FAILED',
    `batch ${batch} failed: ${message}. The batches before it are committed. If the ` +
      `expression fails on some rows, fix --set or exclude them with --where, then run again ` +
      `with --restart; if the cause was elsewhere, run the same command to resume.`,
  );
}

/** Sleeps unless aborted; false when the signal fired. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return false;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
