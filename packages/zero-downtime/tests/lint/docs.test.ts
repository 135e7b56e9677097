import fs from 'node:fs';
import { linterRuleIds, rules } from '../../src/lint';
import { docPath, withTables } from './rule-table';

const doc = fs.readFileSync(docPath, 'utf8');

describe('docs/migration-linter.md', () => {
  it('holds the rule and squawk tables as the code computes them (npx tsx tests/lint/rule-table.ts)', async () => {
    expect(doc).toBe(await withTables(doc));
  });

  it('explains every rule, with its recipe, in a section of its own', () => {
    const ids = [...rules.map((rule) => rule.id), ...linterRuleIds];
    const missing = ids.filter((id) => !doc.includes(`**\`${id}\`**`));
    expect(missing).toEqual([]);
  });
});
