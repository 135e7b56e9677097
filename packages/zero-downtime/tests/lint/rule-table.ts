/**
 * The rule tables of docs/migration-linter.md, computed from the code: every rule's summary,
 * the lock of the statements it flags and its severity in each phase (from linting the rule's
 * unsafe samples of lint-cases.ts in both phases), and squawk's rules with their meaning.
 * docs.test.ts checks the doc holds exactly these tables; `npx tsx tests/lint/rule-table.ts`
 * (from packages/zero-downtime) rewrites them after a rule changes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { lintSql, linterRuleIds, lockModes, rules, type Finding } from '../../src/lint';
import { squawkRules } from '../../src/lint/squawk';
import type { Phase } from '../../src/core/phase';
import { ruleCases } from './lint-cases';

export const docPath = path.resolve(
  __dirname,
  '..',
  '..',
  '..',
  '..',
  'docs',
  'migration-linter.md',
);

const letters = { error: 'E', warning: 'W' } as const;

function cell(values: Set<string>, none = '-'): string {
  return values.size ? [...values].sort().join(' / ') : none;
}

function strongestMode(finding: Finding): string {
  const modes = (finding.lock?.locks ?? []).map((lock) => lockModes.indexOf(lock.mode));
  return modes.length ? lockModes[Math.max(...modes)] : 'none on a table it names';
}

async function ruleRow(id: string, summary: string): Promise<string> {
  const samples = ruleCases.find((ruleCase) => ruleCase.rule === id)?.unsafe ?? [];
  const severities: Record<Phase, Set<string>> = { pre: new Set(), post: new Set() };
  const locks = new Set<string>();
  for (const sample of samples) {
    for (const phase of ['pre', 'post'] as const) {
      const findings = await lintSql(sample.sql, { file: 'm.sql', phase, squawk: false });
      for (const finding of findings.filter((found) => found.rule === id)) {
        severities[phase].add(letters[finding.severity]);
        locks.add(strongestMode(finding));
      }
    }
  }
  return `| \`${id}\` | ${summary} | ${cell(locks)} | ${cell(severities.pre)} | ${cell(severities.post)} |`;
}

export async function rulesTable(): Promise<string> {
  const rows = [];
  for (const rule of rules) rows.push(await ruleRow(rule.id, rule.summary));
  return [
    '| rule | what it flags | strongest lock of what it flags | pre | post |',
    '|---|---|---|---|---|',
    ...rows,
    ...linterRuleIds.map(
      (id) => `| \`${id}\` | a problem of the file or of a suppression | - | E | E |`,
    ),
  ].join('\n');
}

export function squawkTable(): string {
  const counts = { error: 'error', warning: 'warning', ignored: 'dropped' } as const;
  return [
    '| squawk rule | counts as | why |',
    '|---|---|---|',
    ...Object.entries(squawkRules).map(
      ([rule, meaning]) => `| \`${rule}\` | ${counts[meaning.severity]} | ${meaning.reason} |`,
    ),
  ].join('\n');
}

/** The doc with its generated tables (between `<!-- name:start -->` and `<!-- name:end -->`). */
export async function withTables(doc: string): Promise<string> {
  const tables: Record<string, string> = { rules: await rulesTable(), squawk: squawkTable() };
  return Object.entries(tables).reduce((text, [name, table]) => {
    const start = `<!-- ${name}-table:start -->`;
    const end = `<!-- ${name}-table:end -->`;
    const before = text.slice(0, text.indexOf(start) + start.length);
    const after = text.slice(text.indexOf(end));
    if (!text.includes(start) || !text.includes(end)) throw new Error(`${docPath}: no ${start}`);
    return `${before}\n${table}\n${after}`;
  }, doc);
}

if (require.main === module) {
  void withTables(fs.readFileSync(docPath, 'utf8')).then((doc) => fs.writeFileSync(docPath, doc));
}
