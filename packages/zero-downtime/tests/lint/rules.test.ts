import { lintSql, rules } from '../../src/lint';
import { ruleCases } from './lint-cases';

describe('every linter rule', () => {
  it('has an unsafe and a safe fixture in this suite', () => {
    const covered = ruleCases.filter((c) => c.unsafe.length > 0 && c.safe.length > 0);
    expect(covered.map((c) => c.rule).sort()).toEqual(rules.map((rule) => rule.id).sort());
  });
});

describe.each(ruleCases)('$rule', ({ rule, unsafe, safe }) => {
  it.each(unsafe)('flags ($phase-deploy): $sql', async ({ sql, phase, severity, mentions }) => {
    const findings = await lintSql(sql, { file: 'migration.sql', phase });
    const found = findings.filter((finding) => finding.rule === rule);
    expect(found).toHaveLength(1);
    expect(found[0].severity).toBe(severity);
    expect(found[0].file).toBe('migration.sql');
    const text = `${found[0].message}\n${found[0].recipe}`;
    for (const mention of mentions) expect(text).toContain(mention);
  });

  it.each(safe)('passes ($phase-deploy): $sql', async ({ sql, phase }) => {
    const findings = await lintSql(sql, { file: 'migration.sql', phase });
    expect(findings.filter((finding) => finding.rule === rule)).toEqual([]);
  });
});
