import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import {
  escapeCommandData,
  escapeCommandProperty,
  lintSql,
  markdownCell,
  reportToGithubCommands,
  reportToJson,
  reportToMarkdownSummary,
  reportToSarif,
  type LintReport,
} from '../../src/lint';
import { starterRoot } from '../support/project';

const schemaFile = require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json', {
  paths: [starterRoot],
});
const sarifSchema = JSON.parse(fs.readFileSync(schemaFile, 'utf8')) as object;

/** The schema's validator, formats (uri, date-time) included; its patterns are not unicode. */
function sarifValidator() {
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats(ajv);
  return ajv.compile(sarifSchema);
}

const preFile = 'migrations/pre-deploy/20260101000000-index.sql';
const postFile = 'migrations/post-deploy/20260102000000-age-type.sql';

async function report(): Promise<LintReport> {
  const pre = await lintSql('SELECT 1;\nCREATE INDEX ON users (name);\nCREATE TABLE t (j json);', {
    file: preFile,
    phase: 'pre',
    squawk: false,
  });
  const post = await lintSql('ALTER TABLE users ALTER COLUMN age TYPE bigint;', {
    file: postFile,
    phase: 'post',
    squawk: false,
  });
  return {
    files: [
      { file: preFile, phase: 'pre' },
      { file: postFile, phase: 'post' },
    ],
    findings: [...pre, ...post],
  };
}

describe('--format json', () => {
  it('is a versioned document: counts, the files with their phase, each finding located', async () => {
    const parsed = JSON.parse(reportToJson(await report()));
    expect(parsed).toMatchObject({ version: 1, errors: 2, warnings: 1 });
    expect(parsed.files).toEqual([
      { file: preFile, phase: 'pre' },
      { file: postFile, phase: 'post' },
    ]);
    const index = parsed.findings.find(
      (finding: { rule: string }) => finding.rule === 'create-index-non-concurrent',
    );
    expect(index).toMatchObject({
      severity: 'error',
      phase: 'pre',
      file: preFile,
      line: 2,
      column: 1,
      statement: 'CREATE INDEX ON users (name)',
    });
    expect(Object.keys(index)).toEqual([
      'rule',
      'severity',
      'phase',
      'file',
      'line',
      'column',
      'message',
      'recipe',
      'statement',
      'lock',
    ]);
  });

  it('passes through fields a finding gains later', async () => {
    const base = await report();
    const findings = base.findings.map((finding) => ({ ...finding, owner: 'team-data' }));
    const parsed = JSON.parse(reportToJson({ ...base, findings }));
    expect(parsed.findings[0].owner).toBe('team-data');
  });
});

describe('--format sarif', () => {
  it('is valid SARIF 2.1.0: one run, every rule that appears, results on the line', async () => {
    const input = await report();
    const root = path.resolve('.');
    const log = JSON.parse(reportToSarif(input, { root, version: '9.9.9' }));
    const validate = sarifValidator();
    expect(validate(log) ? [] : validate.errors).toEqual([]);
    expect(log.runs).toHaveLength(1);
    const ruleIds = log.runs[0].tool.driver.rules.map((rule: { id: string }) => rule.id);
    expect(ruleIds.sort()).toEqual([...new Set(input.findings.map((f) => f.rule))].sort());
    const result = log.runs[0].results.find(
      (found: { ruleId: string }) => found.ruleId === 'create-index-non-concurrent',
    );
    expect(result.level).toBe('error');
    expect(log.runs[0].tool.driver.rules[result.ruleIndex].id).toBe(result.ruleId);
    expect(result.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: preFile, uriBaseId: '%SRCROOT%' },
      region: { startLine: 2, startColumn: 1 },
    });
    const warning = log.runs[0].results.find(
      (found: { ruleId: string }) => found.ruleId === 'prefer-jsonb',
    );
    expect(warning.level).toBe('warning');
  });

  it('is valid with no findings, and names a file outside the repository by a file: URI', async () => {
    const root = path.resolve('.');
    const empty = JSON.parse(reportToSarif({ files: [], findings: [] }, { root, version: '1' }));
    const validate = sarifValidator();
    expect(validate(empty)).toBe(true);
    const outside = await report();
    const moved = outside.findings.map((finding) => ({ ...finding, file: '/elsewhere/x.sql' }));
    const log = JSON.parse(reportToSarif({ ...outside, findings: moved }, { root, version: '1' }));
    expect(validate(log)).toBe(true);
    expect(log.runs[0].results[0].locations[0].physicalLocation.artifactLocation).toEqual({
      uri: 'file:///elsewhere/x.sql',
    });
  });
});

describe('--format github', () => {
  it('escapes % CR LF in messages, and : , besides in properties', () => {
    expect(escapeCommandData('100% done\r\nnext: a, b')).toBe('100%25 done%0D%0Anext: a, b');
    expect(escapeCommandProperty('a:b,c%\n')).toBe('a%3Ab%2Cc%25%0A');
  });

  it('prints one annotation per finding on its file and line, titled with rule and phase', async () => {
    const lines = reportToGithubCommands(await report()).split('\n');
    const index = lines.find((line) => line.includes('create-index-non-concurrent'));
    expect(index).toMatch(
      new RegExp(
        `^::error file=${preFile},line=2,col=1,title=create-index-non-concurrent \\(pre-deploy\\)::`,
      ),
    );
    expect(index).toContain('%0A%0ASafe way:%0A');
    expect(index).not.toMatch(/[\r\n]/);
    expect(
      lines.some((line) => line.startsWith('::warning file=') && line.includes('prefer-jsonb')),
    ).toBe(true);
    expect(lines.at(-1)).toMatch(/^Migration lint: 2 error\(s\), \d+ warning\(s\)\.$/);
  });

  it('writes a job summary with one table row per finding, | escaped', async () => {
    const input = await report();
    const summary = reportToMarkdownSummary(input);
    const rows = summary
      .split('\n')
      .filter((line) => line.startsWith('| ') && !/^\| (Severity|---) /.test(line));
    expect(rows).toHaveLength(input.findings.length);
    expect(summary).toContain(`| error | create-index-non-concurrent | pre | ${preFile}:2 | `);
    expect(markdownCell('a | b\nc')).toBe('a \\| b<br>c');
    expect(reportToMarkdownSummary({ files: [], findings: [] })).toContain(
      'No unsafe operations found.',
    );
  });
});
