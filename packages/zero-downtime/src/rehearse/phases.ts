import type { Reporter } from '../deploy';

/**
 * The phases of a rehearsal on one clock (milliseconds since the epoch), taken from the deploy's
 * own step announcements: before the deploy, pre-deploy migrations, rollout (rolling restart
 * and verification), post-deploy migrations, after. A rollback, when one happens, is a phase.
 */
export type PhaseName =
  'before' | 'migrate-pre' | 'rollout' | 'rollback' | 'migrate-post' | 'after';

export interface Phase {
  name: PhaseName;
  label: string;
  start: number;
  end: number;
}

export const PHASE_LABELS: Record<PhaseName, string> = {
  before: 'before',
  'migrate-pre': 'pre-deploy migrations',
  rollout: 'rollout',
  rollback: 'rollback',
  'migrate-post': 'post-deploy migrations',
  after: 'after',
};

/** The phases that make up "during the deploy", for the latency budget. */
export const DEPLOY_PHASES: readonly PhaseName[] = [
  'migrate-pre',
  'rollout',
  'rollback',
  'migrate-post',
];

/** Deploy steps, as the orchestrator names them, mapped to the phase they open. */
const STEP_PHASES: Record<string, PhaseName> = {
  'migrate-pre': 'migrate-pre',
  rollout: 'rollout',
  rollback: 'rollback',
  'migrate-post': 'migrate-post',
};

export class PhaseTracker {
  private readonly marks: { name: PhaseName; at: number }[] = [];
  private finishedAt?: number;

  constructor(private readonly now: () => number = Date.now) {}

  /** A reporter that passes everything on to `inner` and notes when each step begins. */
  reporter(inner: Reporter): Reporter {
    return {
      ...inner,
      step: (name, message) => {
        const phase = STEP_PHASES[name];
        if (phase) this.mark(phase);
        inner.step(name, message);
      },
    };
  }

  mark(name: PhaseName, at = this.now()): void {
    if (this.marks.at(-1)?.name !== name) this.marks.push({ name, at });
  }

  finish(at = this.now()): void {
    this.finishedAt = at;
  }

  /** Consecutive phases covering [loadStart, loadEnd], in order; empty ones left out. */
  phases(): Phase[] {
    const end = this.finishedAt ?? this.now();
    const phases: Phase[] = [];
    this.marks.forEach((mark, index) => {
      const next = this.marks[index + 1]?.at ?? end;
      if (next > mark.at) {
        phases.push({ name: mark.name, label: PHASE_LABELS[mark.name], start: mark.at, end: next });
      }
    });
    return phases;
  }
}
