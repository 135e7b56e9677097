import { inspectTable, uncarriable } from './inspect';
import { openRebuild } from './rebuild';
import type { ShadowSession } from './session';
import { nextStep, STEPS } from './state';

/**
 * `status` / `plan`: where a rebuild stands and what comes next, or, before it starts, what
 * the rebuild will carry over and what stops it.
 */
export interface ShadowStatus {
  table: string;
  started: boolean;
  done: string | null;
  next: string | null;
  swapped: boolean;
  lines: string[];
}

export async function status(session: ShadowSession, table: string): Promise<ShadowStatus> {
  const rebuild = await openRebuild(session.client, table);
  if (!rebuild) return planFor(session, table);
  const { state } = rebuild;
  const next = state.swapped && state.done === 'swap' ? 'cleanup' : nextStep(state);
  const lines = [
    `table: ${rebuild.live}${state.swapped ? ' (the new table since the swap)' : ''}`,
    `shadow: ${rebuild.shadow}${state.swapped ? ` now ${rebuild.live}; old table ${rebuild.old}` : ''}`,
    `definition (${state.definition.kind}): ${state.definition.source.trim().split('\n')[0]}`,
    `steps: ${STEPS.map((step) => `${step}${STEPS.indexOf(step) <= STEPS.indexOf(state.done ?? 'create') ? ' [done]' : ''}`).join(' -> ')}`,
    `backfill: ${state.backfillRows} rows in ${state.backfillBatches} batches` +
      (state.backfillUpperKey
        ? `, up to key (${state.backfillUpperKey.join(', ')}), last (${state.backfillLastKey?.join(', ') ?? '-'})`
        : ''),
    `swapped: ${swappedText(state.swapped, state.done)}`,
  ];
  if (state.mirrorError) lines.push(`MIRROR ERROR: ${state.mirrorError}`);
  lines.push(next ? `next: npm run db:shadow -- ${state.table} ${next}` : 'finished');
  return {
    table: state.table,
    started: true,
    done: state.done,
    next,
    swapped: state.swapped,
    lines,
  };
}

async function planFor(session: ShadowSession, table: string): Promise<ShadowStatus> {
  const facts = await inspectTable(session.client, table);
  const problems = uncarriable(facts);
  const secondary = facts.indexes.filter((index) => !index.primary);
  const lines = [
    `table: ${facts.qualified}, primary key (${facts.primaryKey?.columns.join(', ') ?? 'none'})`,
    `steps: ${STEPS.join(' -> ')} (swap-back possible after swap until cleanup)`,
    `carried over: ${secondary.length} indexes (${secondary.map((index) => index.name).join(', ') || 'none'}), ` +
      `${facts.constraints.length} constraints, ${facts.inboundForeignKeys.length} inbound foreign keys ` +
      `(${facts.inboundForeignKeys.map((key) => `${key.table}.${key.name}`).join(', ') || 'none'}), ` +
      `${facts.views.length} views, ${facts.ownedSequences.length} sequences, ${facts.grants.length} grants`,
  ];
  if (problems.length) lines.push('REFUSED:', ...problems.map((problem) => `  - ${problem}`));
  else
    lines.push(
      `next: npm run db:shadow -- ${table} create --alter "<ALTER TABLE actions>" | --file <new-table.sql>`,
    );
  return {
    table,
    started: false,
    done: null,
    next: problems.length ? null : 'create',
    swapped: false,
    lines,
  };
}

function swappedText(swapped: boolean, done: string | null): string {
  if (!swapped) return 'no';
  if (done === 'cleanup') return 'yes; cleanup dropped the old table';
  return 'yes (reverse triggers keep the old table in sync; swap-back is possible)';
}
