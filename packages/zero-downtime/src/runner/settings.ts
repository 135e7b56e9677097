/** The runner's vocabulary: phases, their folders, and the bounds every migration runs under. */

export { PHASES, PHASE_FOLDERS, isPhase, type Phase } from '../core/phase';

export interface RunnerSettings {
  /** How long one statement may wait for a table lock before the attempt is retried. */
  lockTimeoutMs: number;
  /** How long one statement may run (lifted for CONCURRENTLY and VALIDATE CONSTRAINT). */
  statementTimeoutMs: number;
  /** Retries after a lock timeout, each after an exponential, jittered pause. */
  maxRetries: number;
  /** A pre-deploy migration slower than this is reported: it delays every deploy. */
  timeBudgetMs: number;
  /** First pause between retries; doubles on each retry up to `retryMaxDelayMs`. */
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
}

export const DEFAULT_SETTINGS: RunnerSettings = {
  lockTimeoutMs: 1_000,
  statementTimeoutMs: 30_000,
  maxRetries: 10,
  timeBudgetMs: 180_000,
  retryBaseDelayMs: 250,
  retryMaxDelayMs: 10_000,
};

export function resolveSettings(overrides: Partial<RunnerSettings> = {}): RunnerSettings {
  const defined = Object.entries(overrides).filter(([, value]) => value !== undefined);
  return { ...DEFAULT_SETTINGS, ...Object.fromEntries(defined) };
}
