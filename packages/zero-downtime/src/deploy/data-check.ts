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

/** The refusal, with where the check's findings are and what ran the check. */
export function dataCheckRefused(detail: string): DeployError {
  return new DeployError(
    'DATA_CHECK_FAILED',
    'The data checks refused: rows already in the database would make a pending migration ' +
      'fail, or the database could not be checked (the findings are above). Nothing was ' +
      'migrated; the old version still serves. Fix the data (or the migration), then resume: ' +
      `--from migrate-pre. ${detail}`,
  );
}
