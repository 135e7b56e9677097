import { failureKind, summarize, type RequestRecord } from '../load';
import type { LockSample, LockWaiter } from './lock-sampler';
import { DEPLOY_PHASES, type Phase, type PhaseName } from './phases';

/**
 * Everything a rehearsal measured, reduced to what a person reads: per phase, the requests,
 * how they failed and how slow they were; the lock waits seen on the database; how long each
 * migration took; and the verdict. Pure: the same facts always give the same report.
 */
export interface RehearsalFacts {
  startedAt: string;
  machine: string;
  /** The 1-minute load average when the load started and when it stopped: a busy machine inflates every latency. */
  loadAverage: { start: number; end: number };
  settings: RehearsalSettings;
  base: VersionFacts;
  head: VersionFacts;
  /** The database server, password redacted. */
  database: string;
  resources: string[];
  seeded: { table: string; rows: number; skipped?: string }[];
  /** `errorCode` and `failedStep`: those of a failed deploy (DATA_CHECK_FAILED at migrate-pre...). */
  deploy: { ok: boolean; summary: string; errorCode?: string; failedStep?: string };
  records: readonly RequestRecord[];
  phases: Phase[];
  lockSamples: readonly LockSample[];
  lockSamplingError?: string;
  migrations: MigrationTiming[];
}

export interface RehearsalSettings {
  rows: number;
  rate: number;
  connections: number;
  instances: number;
  beforeSeconds: number;
  afterSeconds: number;
  budgetFactor: number;
  budgetFloorMs: number;
}

export interface VersionFacts {
  ref: string;
  commit: string;
  /** What exactly was deployed, e.g. "the HEAD commit; uncommitted changes are not included". */
  note?: string;
}

export interface MigrationTiming {
  name: string;
  phase: 'pre' | 'post';
  durationMs: number;
  /** Seconds since the load started. */
  finishedAtS: number;
}

export interface LatencyStats {
  requests: number;
  failed: number;
  /** `status 500`, `socket ECONNRESET`, `timeout` (the load generator's failure kinds). */
  failuresByKind: Record<string, number>;
  /** Answers that asked the client to close the connection: an instance draining. */
  connectionCloses: number;
  ratePerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface PhaseReport extends LatencyStats {
  name: PhaseName;
  label: string;
  /** Seconds since the load started. */
  startS: number;
  endS: number;
  lockWaitSamples: number;
  maxLockWaiters: number;
}

export interface SecondReport {
  second: number;
  requests: number;
  failed: number;
  p99Ms: number;
  lockWaiters: number;
}

export interface LockWaitGroup {
  application: string;
  lock: string;
  relation: string | null;
  query: string;
  /** In how many samples it was seen waiting. */
  samples: number;
  longestWaitMs: number;
  blockedBy: string[];
  phases: PhaseName[];
}

export interface RehearsalReport {
  tool: 'npm run rehearse';
  formatVersion: 1;
  startedAt: string;
  machine: string;
  loadAverage: RehearsalFacts['loadAverage'];
  settings: RehearsalSettings;
  base: VersionFacts;
  head: VersionFacts;
  database: string;
  resources: string[];
  seeded: RehearsalFacts['seeded'];
  deploy: RehearsalFacts['deploy'];
  total: LatencyStats;
  phases: PhaseReport[];
  budget: {
    factor: number;
    floorMs: number;
    beforeP99Ms: number;
    budgetMs: number;
    deployP99Ms: number;
    exceeded: boolean;
  };
  failuresByRoute: Record<string, Record<string, number>>;
  failureExamples: { atS: number; phase: PhaseName | null; request: string; kind: string }[];
  lockWaits: {
    samples: number;
    samplesWithWaiters: number;
    maxWaiters: number;
    longestWaitMs: number;
    groups: LockWaitGroup[];
    error?: string;
  };
  migrations: MigrationTiming[];
  timeline: SecondReport[];
  verdict: { ok: boolean; reasons: string[] };
}

export function buildReport(facts: RehearsalFacts): RehearsalReport {
  const origin = facts.phases[0]?.start ?? facts.records[0]?.startedAt ?? 0;
  const seconds = (at: number) => round((at - origin) / 1000, 1);
  const locate = phaseLocator(facts.phases);
  const phaseOf = (at: number) => facts.phases[locate(at)]?.name ?? null;
  // One rule places every request and lock sample in its phase, so the phases add up to the
  // total: a request started in the very millisecond the load stopped is the last phase's.
  const inPhase = facts.phases.map(() => [] as RequestRecord[]);
  for (const record of facts.records) inPhase[locate(record.startedAt)]?.push(record);
  const samplesIn = facts.phases.map(() => [] as LockSample[]);
  for (const sample of facts.lockSamples) samplesIn[locate(sample.at)]?.push(sample);
  const measured = inPhase.flat();
  const phases = facts.phases.map((phase, index) =>
    phaseReport(phase, inPhase[index], samplesIn[index], seconds),
  );
  const budget = budgetOf(facts, measured, phaseOf);
  const total = latencyStats(measured, spanSeconds(facts.phases));
  const report: Omit<RehearsalReport, 'verdict'> = {
    tool: 'npm run rehearse',
    formatVersion: 1,
    startedAt: facts.startedAt,
    machine: facts.machine,
    loadAverage: facts.loadAverage,
    settings: facts.settings,
    base: facts.base,
    head: facts.head,
    database: facts.database,
    resources: facts.resources,
    seeded: facts.seeded,
    deploy: facts.deploy,
    total,
    phases,
    budget,
    failuresByRoute: failuresByRoute(measured),
    failureExamples: measured
      .filter((record) => record.outcome !== 'ok')
      .sort((a, b) => a.startedAt - b.startedAt)
      .slice(0, 10)
      .map((record) => ({
        atS: seconds(record.startedAt),
        phase: phaseOf(record.startedAt),
        request: `${record.method} ${record.route}`,
        kind: failureKind(record),
      })),
    lockWaits: lockWaits(facts, phaseOf),
    migrations: facts.migrations,
    timeline: timeline(facts, origin),
  };
  return { ...report, verdict: verdictOf(report) };
}

function phaseReport(
  phase: Phase,
  inPhase: readonly RequestRecord[],
  samples: readonly LockSample[],
  seconds: (at: number) => number,
): PhaseReport {
  return {
    name: phase.name,
    label: phase.label,
    startS: seconds(phase.start),
    endS: seconds(phase.end),
    ...latencyStats(inPhase, (phase.end - phase.start) / 1000),
    lockWaitSamples: samples.filter((sample) => sample.waiters.length > 0).length,
    maxLockWaiters: Math.max(0, ...samples.map((sample) => sample.waiters.length)),
  };
}

export function latencyStats(records: readonly RequestRecord[], seconds: number): LatencyStats {
  const summary = summarize(records);
  return {
    requests: summary.requests,
    failed: summary.failed,
    failuresByKind: summary.failuresByKind,
    connectionCloses: summary.connectionCloses,
    ratePerSecond: seconds > 0 ? Math.round(records.length / seconds) : 0,
    p50Ms: summary.p50Ms,
    p99Ms: summary.p99Ms,
    maxMs: summary.maxMs,
  };
}

function budgetOf(
  facts: RehearsalFacts,
  measured: readonly RequestRecord[],
  phaseOf: (at: number) => PhaseName | null,
): RehearsalReport['budget'] {
  const p99In = (names: readonly PhaseName[]) =>
    summarize(measured.filter((record) => names.includes(phaseOf(record.startedAt) as PhaseName)))
      .p99Ms;
  const beforeP99Ms = p99In(['before']);
  const deployP99Ms = p99In(DEPLOY_PHASES);
  const { budgetFactor: factor, budgetFloorMs: floorMs } = facts.settings;
  const budgetMs = Math.max(Math.ceil(beforeP99Ms * factor), floorMs);
  return { factor, floorMs, beforeP99Ms, budgetMs, deployP99Ms, exceeded: deployP99Ms > budgetMs };
}

function failuresByRoute(
  records: readonly RequestRecord[],
): Record<string, Record<string, number>> {
  const byRoute: Record<string, Record<string, number>> = {};
  for (const record of records) {
    if (record.outcome === 'ok') continue;
    const route = `${record.method} ${record.route}`;
    const kinds = (byRoute[route] ??= {});
    const kind = failureKind(record);
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return byRoute;
}

function lockWaits(
  facts: RehearsalFacts,
  phaseOf: (at: number) => PhaseName | null,
): RehearsalReport['lockWaits'] {
  const groups = new Map<string, LockWaitGroup>();
  for (const sample of facts.lockSamples) {
    const phase = phaseOf(sample.at);
    for (const waiter of sample.waiters) addToGroup(groups, waiter, phase);
  }
  const waiting = facts.lockSamples.filter((sample) => sample.waiters.length > 0);
  return {
    samples: facts.lockSamples.length,
    samplesWithWaiters: waiting.length,
    maxWaiters: Math.max(0, ...facts.lockSamples.map((sample) => sample.waiters.length)),
    longestWaitMs: Math.max(
      0,
      ...facts.lockSamples.flatMap((sample) => sample.waiters.map((w) => w.waitedMs)),
    ),
    groups: [...groups.values()].sort((a, b) => b.samples - a.samples).slice(0, 20),
    ...(facts.lockSamplingError ? { error: facts.lockSamplingError } : {}),
  };
}

/** Waits of the same kind of statement, on the same lock, by the same kind of session. */
function addToGroup(
  groups: Map<string, LockWaitGroup>,
  waiter: LockWaiter,
  phase: PhaseName | null,
): void {
  const application = sessionKind(waiter.application);
  const query = queryShape(waiter.query);
  const key = [application, waiter.lock, waiter.relation, query].join('\u0000');
  const group = groups.get(key) ?? {
    application,
    lock: waiter.lock,
    relation: waiter.relation,
    query,
    samples: 0,
    longestWaitMs: 0,
    blockedBy: [],
    phases: [],
  };
  group.samples++;
  group.longestWaitMs = Math.max(group.longestWaitMs, waiter.waitedMs);
  for (const blocker of waiter.blockedBy) {
    const who = `${sessionKind(blocker.application) || 'unnamed session'} (pid ${blocker.pid})`;
    if (!group.blockedBy.includes(who) && group.blockedBy.length < 5) group.blockedBy.push(who);
  }
  if (phase && !group.phases.includes(phase)) group.phases.push(phase);
  groups.set(key, group);
}

/** The runner names its sessions `zdm-migrate <host> pid <n>`: one kind whatever the pid. */
function sessionKind(application: string): string {
  return application.replace(/\s+pid \d+$/, '');
}

/** Sequelize inlines some values: `WHERE "id" = '42'` and `= '43'` are the same statement. */
export function queryShape(query: string): string {
  return query.replace(/'(?:[^']|'')*'?/g, '?').replace(/(?<![\w$])\d+(\.\d+)?\b/g, '?');
}

function timeline(facts: RehearsalFacts, origin: number): SecondReport[] {
  const end = facts.phases.at(-1)?.end ?? origin;
  // Whole seconds only: a last, partial second would read as a drop in throughput.
  const count = Math.max(0, Math.floor((end - origin) / 1000));
  const buckets = Array.from({ length: count }, () => ({
    records: [] as RequestRecord[],
    waiters: 0,
  }));
  const bucketOf = (at: number) => buckets[Math.floor((at - origin) / 1000)];
  for (const record of facts.records) {
    const bucket = bucketOf(record.startedAt);
    bucket?.records.push(record);
  }
  for (const sample of facts.lockSamples) {
    const bucket = bucketOf(sample.at);
    if (bucket) bucket.waiters = Math.max(bucket.waiters, sample.waiters.length);
  }
  return buckets.map((bucket, second) => {
    const summary = summarize(bucket.records);
    return {
      second,
      requests: summary.requests,
      failed: summary.failed,
      p99Ms: summary.p99Ms,
      lockWaiters: bucket.waiters,
    };
  });
}

function deployFailure({ errorCode, failedStep }: RehearsalFacts['deploy']): string {
  const where = [failedStep && `at ${failedStep}`, errorCode && `with ${errorCode}`]
    .filter(Boolean)
    .join(' ');
  return `the deploy itself failed${where ? ` ${where}` : ''} (see the deploy summary)`;
}

function verdictOf(report: Omit<RehearsalReport, 'verdict'>): RehearsalReport['verdict'] {
  const reasons: string[] = [];
  if (!report.deploy.ok) reasons.push(deployFailure(report.deploy));
  if (report.total.failed > 0) {
    const kinds = Object.entries(report.total.failuresByKind)
      .map(([kind, count]) => `${count} × ${kind}`)
      .join(', ');
    reasons.push(`${report.total.failed} of ${report.total.requests} requests failed (${kinds})`);
  }
  if (report.budget.exceeded) {
    reasons.push(
      `p99 during the deploy was ${report.budget.deployP99Ms} ms, over the budget of ` +
        `${report.budget.budgetMs} ms`,
    );
  }
  return { ok: reasons.length === 0, reasons };
}

/**
 * The index of the phase a moment belongs to, -1 outside them all: each phase from its start
 * up to (not including) the next one's, the last up to and including its end.
 */
function phaseLocator(phases: Phase[]): (at: number) => number {
  return (at) => {
    const found = phases.findIndex((phase) => at >= phase.start && at < phase.end);
    if (found !== -1) return found;
    const last = phases.length - 1;
    return last >= 0 && at === phases[last].end ? last : -1;
  };
}

function spanSeconds(phases: Phase[]): number {
  if (phases.length === 0) return 0;
  return ((phases.at(-1) as Phase).end - phases[0].start) / 1000;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
