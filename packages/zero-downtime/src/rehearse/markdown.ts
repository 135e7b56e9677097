import type { LatencyStats, RehearsalReport } from './report';

/** The report for a person: verdict first, then each phase, failures, lock waits, migrations. */
export function renderMarkdown(report: RehearsalReport, chartFile: string): string {
  const s = report.settings;
  return [
    `# Deploy rehearsal: ${report.verdict.ok ? 'PASSED' : 'FAILED'}`,
    '',
    ...verdict(report),
    ...underRate(report),
    '',
    `![throughput, p99 latency, failures and lock waits over time](${chartFile})`,
    '',
    '| | |',
    '|---|---|',
    `| base (serving before) | \`${report.base.commit.slice(0, 12)}\` (${report.base.ref}) |`,
    `| deployed | \`${report.head.commit.slice(0, 12)}\` (${report.head.ref})${report.head.note ? `: ${report.head.note}` : ''} |`,
    `| instances | ${s.instances} (PM2 cluster, \`npm run deploy -- --target local\`) |`,
    `| load | ${s.rate} req/s target over ${s.connections} keep-alive connections; ${s.beforeSeconds} s before, ${s.afterSeconds} s after the deploy |`,
    `| data | ${seeded(report)} |`,
    `| resources | ${report.resources.map((line) => escapeCell(line)).join('<br>') || 'none'} |`,
    `| database | ${escapeCell(report.database)} |`,
    `| machine | ${escapeCell(report.machine)}; load average ${report.loadAverage.start} when the load started, ${report.loadAverage.end} when it stopped |`,
    `| started | ${report.startedAt} |`,
    '',
    '## Requests by phase',
    '',
    '| phase | from (s) | to (s) | requests | req/s | failed | p50 ms | p99 ms | max ms | `Connection: close` | lock-wait samples |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...report.phases.map(
      (phase) =>
        `| ${phase.label} | ${phase.startS} | ${phase.endS} | ${statsCells(phase)} | ${phase.lockWaitSamples} |`,
    ),
    `| **all** | | | ${statsCells(report.total)} | ${report.lockWaits.samplesWithWaiters} |`,
    '',
    `Latency budget: p99 during the deploy (pre-deploy migrations, rollout, post-deploy ` +
      `migrations) must stay within ${report.budget.factor} × p99 before the deploy ` +
      `(${report.budget.beforeP99Ms} ms)` +
      (report.budget.floorMs ? `, and never below ${report.budget.floorMs} ms` : '') +
      `: budget **${report.budget.budgetMs} ms**, measured **${report.budget.deployP99Ms} ms**` +
      `${report.budget.exceeded ? ' (exceeded)' : ''}.`,
    '',
    ...failures(report),
    ...lockWaits(report),
    ...migrations(report),
    '## The deploy',
    '',
    '```',
    report.deploy.summary,
    '```',
    '',
  ].join('\n');
}

function verdict(report: RehearsalReport): string[] {
  if (report.verdict.ok) {
    return [
      `${report.total.requests} requests, **none failed**; p99 during the deploy ` +
        `${report.budget.deployP99Ms} ms, within the budget of ${report.budget.budgetMs} ms.`,
    ];
  }
  return report.verdict.reasons.map((reason) => `- **${reason}**`);
}

/** A machine too busy to send the load is a machine too busy to measure latency on. */
function underRate(report: RehearsalReport): string[] {
  const reached = report.total.ratePerSecond;
  if (reached >= report.settings.rate * 0.9) return [];
  return [
    '',
    `> The load reached ${reached} req/s of the ${report.settings.rate} aimed at: each ` +
      `connection waits for its answer, so slow answers (a busy machine: load average ` +
      `${report.loadAverage.start}) lowered the rate. Read the latencies with that in mind.`,
  ];
}

function statsCells(stats: LatencyStats): string {
  return [
    stats.requests,
    stats.ratePerSecond,
    stats.failed ? `**${stats.failed}** (${kinds(stats.failuresByKind)})` : 0,
    stats.p50Ms,
    stats.p99Ms,
    stats.maxMs,
    stats.connectionCloses,
  ].join(' | ');
}

function kinds(byKind: Record<string, number>): string {
  return Object.entries(byKind)
    .map(([kind, count]) => `${count} × ${kind}`)
    .join(', ');
}

function seeded(report: RehearsalReport): string {
  return report.seeded
    .map((table) =>
      table.skipped
        ? `\`${table.table}\`: not seeded (${escapeCell(table.skipped)})`
        : `\`${table.table}\`: ${table.rows} rows`,
    )
    .join(', ');
}

function failures(report: RehearsalReport): string[] {
  const routes = Object.entries(report.failuresByRoute);
  if (routes.length === 0) return [];
  return [
    '## Failed requests',
    '',
    '| request | failures |',
    '|---|---|',
    ...routes.map(([route, byKind]) => `| ${route} | ${kinds(byKind)} |`),
    '',
    'First failures:',
    '',
    ...report.failureExamples.map(
      (example) =>
        `- at ${example.atS} s (${example.phase ?? 'outside the phases'}): ${example.request} → ${example.kind}`,
    ),
    '',
  ];
}

function lockWaits(report: RehearsalReport): string[] {
  const waits = report.lockWaits;
  const head = [
    '## Lock waits',
    '',
    `${waits.samples} samples of \`pg_locks\` / \`pg_stat_activity\` (about every 200 ms); ` +
      `${waits.samplesWithWaiters} saw a session waiting for a lock, at most ${waits.maxWaiters} ` +
      `at once; the longest wait seen lasted at least ${waits.longestWaitMs} ms.` +
      (waits.error ? ` (${waits.error})` : ''),
    '',
  ];
  if (waits.groups.length === 0) return head;
  return [
    ...head,
    '| waiting session | lock | relation | samples | longest ms | blocked by | phases | query |',
    '|---|---|---|--:|--:|---|---|---|',
    ...waits.groups.map((group) =>
      [
        '',
        escapeCell(group.application || '(none)'),
        group.lock,
        group.relation ?? '',
        group.samples,
        group.longestWaitMs,
        escapeCell(group.blockedBy.join(', ')),
        group.phases.join(', '),
        `\`${escapeCell(group.query.slice(0, 120))}\``,
        '',
      ]
        .join(' | ')
        .trim(),
    ),
    '',
  ];
}

function migrations(report: RehearsalReport): string[] {
  if (report.migrations.length === 0) {
    return ['## Migrations', '', 'The deploy applied no migration.', ''];
  }
  return [
    '## Migrations applied by the deploy',
    '',
    '| phase | migration | duration ms | finished at (s) |',
    '|---|---|--:|--:|',
    ...report.migrations.map(
      (migration) =>
        `| ${migration.phase}-deploy | ${migration.name} | ${migration.durationMs} | ${migration.finishedAtS} |`,
    ),
    '',
  ];
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
