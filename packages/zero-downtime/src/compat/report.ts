import path from 'node:path';
import type { CompatReport, StageId, StageReport } from './gate';
import type { FailureCause } from './jest-report';

/** What a failure at each stage means for a deploy, and what to do about it. */
const ADVICE: Record<StageId, string> = {
  'base-pre':
    "the base's own pre-deploy migrations fail on a fresh database: the base is broken, not " +
    'this change. Pick a base that passes its own CI.',
  'base-post':
    "the base's own post-deploy migrations fail on a fresh database: the base is broken, not " +
    'this change. Pick a base that passes its own CI.',
  'head-pre':
    "the head's pre-deploy migrations fail on the schema the base leaves in production: the " +
    'deploy would stop before the rolling restart. Make them apply on top of the base schema.',
  'base-tests-on-pre':
    "the base version's code breaks on the head's pre-deploy schema. During the rolling " +
    'restart the base still serves on that schema, so its requests would fail. Keep pre-deploy ' +
    'migrations additive (expand); drop or rename only in post-deploy, in a release after the ' +
    'code stopped using the column (docs/compat-gate.md).',
  'head-tests-on-pre':
    "the head's code breaks on the pre-deploy schema. New instances serve before post-deploy " +
    'runs, so the head must not depend on post-deploy changes.',
  'head-post':
    "the head's post-deploy migrations fail after its pre-deploy ones: the deploy would end " +
    'with post-deploy failed.',
  'head-tests-on-post':
    "the head's code breaks after its own post-deploy migrations: post-deploy removed something " +
    'the head still uses. Stop using it first, remove it in a later post-deploy.',
};

export function formatCompatReport(report: CompatReport): string {
  const lines = [
    `Compat gate: base ${report.base.ref} (${report.base.commit.slice(0, 7)}) -> head ${report.head}`,
    `  database: ${report.server}; base dependencies: ${report.dependencies}`,
    '',
  ];
  for (const stage of report.stages) lines.push(...formatStage(stage));
  lines.push('');
  const failed = report.stages.filter((stage) => stage.status === 'failed');
  if (failed.length === 0) {
    lines.push('PASSED: the base serves on the head pre-deploy schema, the head on both schemas.');
    const unrelated = report.stages.some((stage) => (stage.result?.failures.length ?? 0) > 0);
    if (unrelated) lines.push('  (some tests failed for reasons other than the schema: see above)');
  } else {
    lines.push('FAILED:');
    for (const stage of failed) lines.push(`  - ${stage.title}: ${ADVICE[stage.id]}`);
  }
  lines.push(`Logs and jest reports: ${relativeToCwd(report.reportsDir)}`);
  return lines.join('\n');
}

const CAUSES: Record<FailureCause, { mark: string; note: string }> = {
  schema: { mark: '✗', note: 'breaks on this schema' },
  'own-schema-too': {
    mark: '!',
    note: "fails on the version's own schema too: not caused by the schema, fix it separately",
  },
  flaky: { mark: '~', note: 'passed when re-run on the same schema: flaky, not caused by it' },
};

function formatStage(stage: StageReport): string[] {
  if (stage.status === 'not run') return [`  - ${stage.title}: not run`];
  const mark = stage.status === 'passed' ? '✓' : '✗';
  const [summary, ...detail] = (stage.result?.summary ?? '').split('\n');
  const lines = [`  ${mark} ${stage.title}: ${summary}`];
  lines.push(...detail.map((line) => `      ${line}`));
  const failures = stage.result?.failures ?? [];
  for (const failure of failures) {
    const cause = CAUSES[failure.cause ?? 'schema'];
    lines.push(`      ${cause.mark} ${stage.version} test "${failure.test}" (${failure.file})`);
    if (failure.cause && failure.cause !== 'schema') lines.push(`          ${cause.note}`);
    lines.push(...failure.message.split('\n').map((line) => `          ${line}`));
  }
  if (stage.result && (stage.status === 'failed' || failures.length > 0)) {
    lines.push(`      log: ${relativeToCwd(stage.result.logFile)}`);
  }
  return lines;
}

function relativeToCwd(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') ? file : relative;
}
