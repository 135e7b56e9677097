/**
 * `--format sarif`: SARIF 2.1.0 for code scanning (github/codeql-action/upload-sarif). One run;
 * the driver lists every rule that appears in the results; each result points at its file
 * relative to the repository root and at the statement's line.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { dataRuleSummaries } from '../database/run-checks';
import { rules } from '../rules';
import { squawkRulePrefix } from '../squawk';
import { locatedFindings, messageWithRecipe, type LintReport, type LocatedFinding } from './report';

/** What the SARIF log needs beyond the report. */
export interface SarifOptions {
  /** The repository root: artifact URIs are relative to it. */
  root: string;
  /** The toolkit's version, for tool.driver.version. */
  version: string;
}

/** Findings the linter and the lint command report themselves, beside the rules. */
const ownFindings: Record<string, string> = {
  'sql-parse-error': 'PostgreSQL cannot parse the migration.',
  'suppression-without-reason': 'A zdm-lint-disable comment gives no reason.',
  'unknown-rule': 'A zdm-lint-disable comment names a rule that does not exist.',
  'migration-fails': 'The migration fails on the schema the migrations before it build.',
};

type SarifLevel = 'error' | 'warning' | 'note';

function levelOf(severity: string): SarifLevel {
  return severity === 'error' || severity === 'warning' ? severity : 'note';
}

function ruleSummary(id: string): string {
  const ours =
    rules.find((rule) => rule.id === id)?.summary ?? ownFindings[id] ?? dataRuleSummaries[id];
  if (ours) return ours;
  if (id.startsWith(squawkRulePrefix)) {
    return `squawk's rule ${id.slice(squawkRulePrefix.length)} (a second opinion on .sql files).`;
  }
  return `Finding ${id} of the migration linter.`;
}

/** A relative URI with forward slashes, or a file: URI for a file outside the repository. */
export function artifactUri(file: string, root: string): string {
  const absolute = path.resolve(file);
  const relative = path.relative(root, absolute);
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    return pathToFileURL(absolute).href;
  }
  return relative.split(path.sep).map(encodeURIComponent).join('/');
}

function result(finding: LocatedFinding, ruleIndex: number, root: string) {
  const uri = artifactUri(finding.file, root);
  const relative = !uri.startsWith('file:');
  const region = finding.line > 0 ? { startLine: finding.line, startColumn: finding.column } : {};
  return {
    ruleId: finding.rule,
    ruleIndex,
    level: levelOf(finding.severity),
    message: { text: messageWithRecipe(finding) },
    locations: [
      {
        physicalLocation: {
          artifactLocation: relative ? { uri, uriBaseId: '%SRCROOT%' } : { uri },
          ...(finding.line > 0 ? { region } : {}),
        },
      },
    ],
    properties: { phase: finding.phase, statement: finding.statement, recipe: finding.recipe },
  };
}

/** The SARIF log, as a string ready to write to a file. */
export function reportToSarif(report: LintReport, options: SarifOptions): string {
  const findings = locatedFindings(report);
  const ruleIds = [...new Set(findings.map((finding) => finding.rule))];
  const log = {
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'zdm-migrate-lint',
            version: options.version,
            rules: ruleIds.map((id) => ({
              id,
              shortDescription: { text: ruleSummary(id) },
              defaultConfiguration: { level: 'error' },
            })),
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(`${options.root}/`).href } },
        results: findings.map((finding) =>
          result(finding, ruleIds.indexOf(finding.rule), options.root),
        ),
      },
    ],
  };
  return JSON.stringify(log, null, 2);
}
