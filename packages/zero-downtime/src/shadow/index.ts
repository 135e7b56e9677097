/**
 * Rebuild a table through a shadow table (docs/expand-contract.md, "Rebuild a table"): each
 * step resumable and idempotent, its progress in `zdm_shadow_rebuilds`.
 */
import { cleanup, type CleanupOptions } from './cleanup';
import { copyRows, type CopyOptions } from './copy';
import { createShadow } from './create';
import type { DefinitionInput } from './definition';
import { ShadowError } from './errors';
import { buildIndexes } from './indexes';
import type { ShadowSession } from './session';
import { status } from './status';
import { swap, swapBack, type SwapOptions } from './swap';
import { installTriggers } from './triggers';
import { verifyCopy, type VerifyOptions } from './verify';

export const SHADOW_STEPS = [
  'plan',
  'status',
  'create',
  'triggers',
  'backfill',
  'indexes',
  'verify',
  'swap',
  'swap-back',
  'cleanup',
] as const;
export type ShadowStep = (typeof SHADOW_STEPS)[number];

export type ShadowOptions = DefinitionInput &
  CopyOptions &
  VerifyOptions &
  SwapOptions &
  CleanupOptions;

/** Runs one step; returns the lines to print. */
export async function runShadowStep(
  session: ShadowSession,
  table: string,
  step: string,
  options: ShadowOptions = {},
): Promise<string[]> {
  switch (step as ShadowStep) {
    case 'plan':
    case 'status':
      return (await status(session, table)).lines;
    case 'create':
      return [await createShadow(session, table, options)];
    case 'triggers':
      return [await installTriggers(session, table)];
    case 'backfill':
      return [await copyRows(session, table, options)];
    case 'indexes':
      return [await buildIndexes(session, table)];
    case 'verify':
      return [await verifyCopy(session, table, options)];
    case 'swap':
      return [await swap(session, table, options)];
    case 'swap-back':
      return [await swapBack(session, table, options)];
    case 'cleanup':
      return [await cleanup(session, table, options)];
    default:
      throw new ShadowError(
        'bad-step',
        `Unknown step "${step}". Steps: ${SHADOW_STEPS.join(', ')}.`,
      );
  }
}

export { status, type ShadowStatus } from './status';
export { ShadowError, isShadowError } from './errors';
export type { ShadowSession } from './session';
export { STATE_TABLE } from './state';
