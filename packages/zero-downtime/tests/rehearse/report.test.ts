import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RequestRecord } from '../../src/load';
import type { Reporter } from '../../src/deploy';
import {
  PhaseTracker,
  buildReport,
  renderChart,
  renderMarkdown,
  writeReport,
  type LockSample,
  type RehearsalFacts,
} from '../../src/rehearse';
import { axisMax } from '../../src/rehearse/chart';

/**
 * The report writer on a rehearsal made up to the millisecond: five phases, known latencies,
 * one failure of each kind during the rollout, lock waits, two migrations.
 */
const T0 = 1_800_000_000_000;
const at = (seconds: number) => T0 + seconds * 1000;

function record(startS: number, latencyMs: number, fields: Partial<RequestRecord> = {}) {
  const startedAt = at(startS);
  return {
    method: 'GET',
    route: '/users/:id',
    startedAt,
    endedAt: startedAt + latencyMs,
    latencyMs,
    outcome: 'ok',
    status: 200,
    connectionClose: false,
    ...fields,
  } as RequestRecord;
}

const PHASES: RehearsalFacts['phases'] = [
  { name: 'before', label: 'before', start: at(0), end: at(10) },
  { name: 'migrate-pre', label: 'pre-deploy migrations', start: at(10), end: at(12) },
  { name: 'rollout', label: 'rollout', start: at(12), end: at(20) },
  { name: 'migrate-post', label: 'post-deploy migrations', start: at(20), end: at(22) },
  { name: 'after', label: 'after', start: at(22), end: at(30) },
];

function records({ failures = true, postLatencyMs = 400 } = {}): RequestRecord[] {
  const list: RequestRecord[] = [];
  // before: latencies 1..100 ms, so p50 = 50, p99 = 99, max = 100.
  for (let i = 1; i <= 100; i++) list.push(record(i * 0.09, i));
  for (let i = 0; i < 10; i++) list.push(record(10 + i * 0.1, 5));
  for (let i = 0; i < 50; i++) list.push(record(12 + i * 0.1, 20, { connectionClose: i < 2 }));
  if (failures) {
    list.push(record(13, 1, { outcome: 'socket-error', status: undefined, error: 'ECONNRESET' }));
    list.push(
      record(14, 3, { outcome: 'unexpected-status', status: 502, method: 'POST', route: '/users' }),
    );
    list.push(record(15, 10_000, { outcome: 'timeout', status: undefined, error: 'no answer' }));
  }
  for (let i = 0; i < 10; i++) list.push(record(20 + i * 0.1, postLatencyMs));
  for (let i = 0; i < 20; i++) list.push(record(22 + i * 0.3, 3));
  return list;
}

const LOCK_SAMPLES: LockSample[] = [
  { at: at(1), waiters: [] },
  ...[`'41'`, `'42'`].map((id, i) => ({
    at: at(10.2 + i * 0.2),
    waiters: [
      {
        pid: 100 + i,
        application: 'app',
        lock: 'relation AccessShareLock',
        relation: 'users',
        waitedMs: 30 + i * 200,
        blockedBy: [{ pid: 9, application: 'zdm-migrate build-host pid 9' }],
        query: `SELECT "id" FROM "users" AS "User" WHERE "User"."id" = ${id}`,
      },
    ],
  })),
];

function facts(overrides: Partial<RehearsalFacts> = {}): RehearsalFacts {
  return {
    startedAt: new Date(T0).toISOString(),
    machine: 'test machine',
    loadAverage: { start: 0.5, end: 0.7 },
    settings: {
      rows: 100,
      rate: 50,
      connections: 4,
      instances: 2,
      beforeSeconds: 10,
      afterSeconds: 8,
      budgetFactor: 3,
      budgetFloorMs: 0,
    },
    base: { ref: 'HEAD~1', commit: 'a'.repeat(40) },
    head: { ref: 'HEAD', commit: 'b'.repeat(40), note: 'the HEAD commit' },
    database: 'postgres://postgres:***@127.0.0.1:5432/zdm_rehearsal_1',
    resources: ['/users (table users): list, read, create, update'],
    seeded: [{ table: 'users', rows: 100 }],
    deploy: { ok: true, summary: 'deploy of bbbbbbbbbbbb succeeded' },
    records: records(),
    phases: PHASES,
    lockSamples: LOCK_SAMPLES,
    migrations: [
      { name: '20270101000000-add-users-nickname', phase: 'pre', durationMs: 114, finishedAtS: 11 },
      {
        name: '20270101000001-add-users-nickname-not-null',
        phase: 'post',
        durationMs: 953,
        finishedAtS: 21.5,
      },
    ],
    ...overrides,
  };
}

describe('the rehearsal report', () => {
  it('splits the requests into the deploy phases with p50, p99 and max latency per phase', () => {
    const report = buildReport(facts());
    expect(report.phases.map((p) => [p.name, p.startS, p.endS, p.requests])).toEqual([
      ['before', 0, 10, 100],
      ['migrate-pre', 10, 12, 10],
      ['rollout', 12, 20, 53],
      ['migrate-post', 20, 22, 10],
      ['after', 22, 30, 20],
    ]);
    expect(report.phases[0]).toMatchObject({ p50Ms: 50, p99Ms: 99, maxMs: 100, ratePerSecond: 10 });
    expect(report.phases[3]).toMatchObject({ p50Ms: 400, p99Ms: 400, maxMs: 400 });
    expect(report.phases[2].connectionCloses).toBe(2);
    expect(report.total.requests).toBe(193);
  });

  it('the phases add up to the total, a request started as the load stopped included', () => {
    // One request at the very end of the last phase, one on a boundary between two phases.
    const report = buildReport(facts({ records: [...records(), record(30, 7), record(12, 8)] }));
    const byPhase = report.phases.map((phase) => phase.requests);
    expect(byPhase).toEqual([100, 10, 54, 10, 21]);
    expect(report.total.requests).toBe(byPhase.reduce((sum, requests) => sum + requests, 0));
    expect(report.total.requests).toBe(195);
    const failed = report.phases.reduce((sum, phase) => sum + phase.failed, 0);
    expect(report.total.failed).toBe(failed);
  });

  it('counts failures by kind: status code, socket error, timeout, per phase and per route', () => {
    const report = buildReport(facts());
    expect(report.phases[2].failuresByKind).toEqual({
      'socket ECONNRESET': 1,
      'status 502': 1,
      timeout: 1,
    });
    expect(report.phases.filter((p) => p.name !== 'rollout').every((p) => p.failed === 0)).toBe(
      true,
    );
    expect(report.failuresByRoute).toEqual({
      'GET /users/:id': { 'socket ECONNRESET': 1, timeout: 1 },
      'POST /users': { 'status 502': 1 },
    });
    expect(report.failureExamples.map((e) => [e.atS, e.phase, e.kind])).toEqual([
      [13, 'rollout', 'socket ECONNRESET'],
      [14, 'rollout', 'status 502'],
      [15, 'rollout', 'timeout'],
    ]);
    expect(report.verdict.ok).toBe(false);
    expect(report.verdict.reasons[0]).toBe(
      '3 of 193 requests failed (1 × socket ECONNRESET, 1 × status 502, 1 × timeout)',
    );
  });

  it('fails when p99 during the deploy exceeds F times p99 before it, unless under the floor', () => {
    const strict = buildReport(facts({ records: records({ failures: false }) }));
    expect(strict.budget).toMatchObject({
      beforeP99Ms: 99,
      budgetMs: 297,
      deployP99Ms: 400,
      exceeded: true,
    });
    expect(strict.verdict.reasons).toEqual([
      'p99 during the deploy was 400 ms, over the budget of 297 ms',
    ]);
    const floored = buildReport(
      facts({
        records: records({ failures: false }),
        settings: { ...facts().settings, budgetFloorMs: 500 },
      }),
    );
    expect(floored.budget).toMatchObject({ budgetMs: 500, exceeded: false });
    expect(floored.verdict).toEqual({ ok: true, reasons: [] });
  });

  it('a failed deploy fails the rehearsal even when every request succeeded', () => {
    const report = buildReport(
      facts({
        records: records({ failures: false, postLatencyMs: 5 }),
        deploy: { ok: false, summary: 'deploy FAILED at rollout' },
      }),
    );
    expect(report.verdict).toEqual({
      ok: false,
      reasons: ['the deploy itself failed (see the deploy summary)'],
    });
  });

  it('groups lock waits by statement shape and names the blocking session', () => {
    const { lockWaits } = buildReport(facts());
    expect(lockWaits).toMatchObject({
      samples: 3,
      samplesWithWaiters: 2,
      maxWaiters: 1,
      longestWaitMs: 230,
    });
    expect(lockWaits.groups).toEqual([
      {
        application: 'app',
        lock: 'relation AccessShareLock',
        relation: 'users',
        query: 'SELECT "id" FROM "users" AS "User" WHERE "User"."id" = ?',
        samples: 2,
        longestWaitMs: 230,
        blockedBy: ['zdm-migrate build-host (pid 9)'],
        phases: ['migrate-pre'],
      },
    ]);
  });

  it('counts requests, failures, p99 and lock waiters second by second', () => {
    const { timeline } = buildReport(facts());
    expect(timeline).toHaveLength(30);
    expect(timeline[0]).toEqual({ second: 0, requests: 11, failed: 0, p99Ms: 11, lockWaiters: 0 });
    expect(timeline[10]).toMatchObject({ requests: 10, lockWaiters: 1 });
    expect(timeline[14]).toMatchObject({ failed: 1 });
  });

  it('draws one self-contained SVG with every phase marked and labelled', () => {
    const svg = renderChart(buildReport(facts()));
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    for (const phase of ['before', 'migrate-pre', 'rollout', 'migrate-post', 'after']) {
      expect(svg).toContain(`data-phase="${phase}"`);
    }
    for (const label of [
      'pre-deploy migrations (10–12 s)',
      'rollout (12–20 s)',
      'post-deploy migrations (20–22 s)',
    ]) {
      expect(svg).toContain(label);
    }
    expect(svg.match(/class="phase-marker"/g)).toHaveLength(5);
    expect(svg).toContain('budget 297 ms');
    expect(svg).not.toMatch(/<script|href=|url\(|@import/);
  });

  it("scales each panel to its data's maximum, rounded up; a budget above the data is named, not drawn", () => {
    // p99 per second stays under 1,200 ms while the budget (its floor) is 5,000 ms.
    const report = buildReport(
      facts({
        records: records({ failures: false, postLatencyMs: 1130 }),
        settings: { ...facts().settings, budgetFloorMs: 5000 },
      }),
    );
    expect(Math.max(...report.timeline.map((second) => second.p99Ms))).toBe(1130);
    const p99Panel = renderChart(report).split('<g class="panel">')[2];
    expect(p99Panel).toContain('p99 latency per second (ms)');
    expect(p99Panel).toMatch(/text-anchor="end">1200<\/text>/);
    expect(p99Panel).not.toMatch(/>5000</);
    expect(p99Panel).toContain('budget 5000 ms: above this scale');
    expect(p99Panel).not.toContain('stroke-dasharray="6,4"');

    // A budget near the data (up to twice its maximum) stays on the scale, as a line.
    const near = renderChart(
      buildReport(
        facts({
          records: records({ failures: false, postLatencyMs: 1130 }),
          settings: { ...facts().settings, budgetFloorMs: 2000 },
        }),
      ),
    ).split('<g class="panel">')[2];
    expect(near).toMatch(/text-anchor="end">2000<\/text>/);
    expect(near).toContain('stroke-dasharray="6,4"');
    expect(near).toContain('budget 2000 ms</text>');
  });

  it('rounds a scale up to 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten', () => {
    expect([0, 1, 7, 99, 100, 101, 1130, 1200, 1201, 4999, 5001].map((v) => axisMax([v]))).toEqual([
      1, 1, 8, 100, 100, 120, 1200, 1200, 1500, 5000, 6000,
    ]);
  });

  it('writes the verdict, each phase, the failures, lock waits and migrations in Markdown', () => {
    const markdown = renderMarkdown(buildReport(facts()), 'chart.svg');
    expect(markdown).toContain('# Deploy rehearsal: FAILED');
    expect(markdown).toContain(
      '![throughput, p99 latency, failures and lock waits over time](chart.svg)',
    );
    expect(markdown).toContain(
      '| rollout | 12 | 20 | 53 | 7 | **3** (1 × socket ECONNRESET, 1 × status 502, 1 × timeout) | 20 | 10000 | 10000 | 2 | 0 |',
    );
    expect(markdown).toContain('| POST /users | 1 × status 502 |');
    expect(markdown).toContain('> The load reached 6 req/s of the 50 aimed at');
    expect(markdown).toContain('zdm-migrate build-host (pid 9)');
    expect(markdown).toContain(
      '| post-deploy | 20270101000001-add-users-nickname-not-null | 953 | 21.5 |',
    );
  });

  it('writes report.md, report.json and chart.svg into the output folder', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-rehearsal-report-'));
    try {
      const report = buildReport(facts());
      const files = writeReport(report, path.join(dir, 'out'));
      expect(JSON.parse(fs.readFileSync(files.json, 'utf8'))).toEqual(report);
      expect(fs.readFileSync(files.markdown, 'utf8')).toContain('](chart.svg)');
      expect(fs.readFileSync(files.chart, 'utf8')).toContain('data-phase="rollout"');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('phase tracking', () => {
  it("turns the deploy's step announcements into consecutive phases, passing them on", () => {
    let now = at(0);
    const tracker = new PhaseTracker(() => now);
    const seen: string[] = [];
    const inner: Reporter = {
      step: (name) => seen.push(name),
      info: () => undefined,
      warn: () => undefined,
      output: () => undefined,
    };
    const reporter = tracker.reporter(inner);
    tracker.mark('before');
    const steps: [number, string][] = [
      [5, 'build'],
      [10, 'migrate-pre'],
      [12, 'rollout'],
      [18, 'verify'],
      [20, 'migrate-post'],
    ];
    for (const [second, step] of steps) {
      now = at(second);
      reporter.step(step, '');
    }
    tracker.mark('after', at(22));
    tracker.finish(at(30));
    expect(seen).toEqual(['build', 'migrate-pre', 'rollout', 'verify', 'migrate-post']);
    expect(
      tracker.phases().map((p) => [p.name, (p.start - T0) / 1000, (p.end - T0) / 1000]),
    ).toEqual([
      ['before', 0, 10],
      ['migrate-pre', 10, 12],
      ['rollout', 12, 20],
      ['migrate-post', 20, 22],
      ['after', 22, 30],
    ]);
  });

  it('a rollback after a failed rollout is a phase of its own, and post-deploy never appears', () => {
    let now = at(0);
    const tracker = new PhaseTracker(() => now);
    const reporter = tracker.reporter({
      step: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      output: () => undefined,
    });
    tracker.mark('before');
    for (const [second, step] of [
      [3, 'migrate-pre'],
      [4, 'rollout'],
      [9, 'rollback'],
    ] as [number, string][]) {
      now = at(second);
      reporter.step(step, '');
    }
    tracker.mark('after', at(12));
    tracker.finish(at(15));
    expect(tracker.phases().map((p) => p.label)).toEqual([
      'before',
      'pre-deploy migrations',
      'rollout',
      'rollback',
      'after',
    ]);
  });
});
