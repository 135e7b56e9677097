import { DeployError } from './errors';

/**
 * What a deploy makes of the release's `zdm migrate check`, wherever it ran (on this machine for
 * the local and ssh targets, in a Job for Kubernetes): one wording for the refusal and for the
 * release too old to have the command.
 */

export const DATA_CHECK_SKIPPED =
  "this release's toolkit has no `zdm migrate check`: data checks skipped";

/**
 * Whether the output is the usage error of a toolkit that predates `zdm migrate check` (an old
 * release deployed again, a rehearsal's base): such a release is deployed without the check.
 */
export function predatesDataCheck(output: string): boolean {
  return /unknown command "check"/.test(output);
}

/**
 * The refusal: the errors the check found, in one line each, so that the summary (and a
 * rehearsal's report, which does not show the check's output) names them; `detail` says what
 * ran the check and how it ended.
 */
export function dataCheckRefused(output: string, detail: string): DeployError {
  const errors = errorFindings(output);
  const found =
    errors.length > 0
      ? `It found: ${errors.join('; ')}.`
      : 'It reported no finding: the database could not be checked (its output is above).';
  return new DeployError(
    'DATA_CHECK_FAILED',
    'The data checks refused: rows already in the database would make a pending migration ' +
      `fail. ${found} Nothing was migrated; the old version still serves. Fix the data (or the ` +
      `migration), then resume: --from migrate-pre. ${detail}`,
  );
}

const FINDING_HEADER = /^(\S+)\s+error\s+(\S+)$/;
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/**
 * "<file>:<line> <rule>: <first line of the message>" for each error in the check's text output
 * (lint/format.ts: a header, the statement after "  > ", an optional "  Lock:" line, the
 * message indented by two).
 */
function errorFindings(output: string): string[] {
  const lines = output.replace(ANSI, '').split('\n');
  const found: string[] = [];
  lines.forEach((line, index) => {
    const header = FINDING_HEADER.exec(line.trim());
    if (!header) return;
    const message = lines
      .slice(index + 1, index + 6)
      .find((next) => /^ {2}\S/.test(next) && !/^ {2}(>|Lock:)/.test(next));
    const sentence = message?.trim().replace(/\s*[^.]*:$/, '');
    found.push(`${header[1]} ${header[2]}${sentence ? `: ${sentence}` : ''}`);
  });
  return found;
}
