import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_NAME } from '../core/project';
import { DeployError } from './errors';

/**
 * The `zdm` of a built release, as a path relative to the release: every step that runs on a
 * release (its migrations, a host's rollout) runs the toolkit version that release was built
 * with, compiled, with `node` (never through npm or tsx).
 */
export function releaseCliPath(): string {
  return path.join('node_modules', PACKAGE_NAME, 'dist', 'cli', 'index.js');
}

export function requireReleaseCli(releaseDir: string): string {
  const cli = path.join(releaseDir, releaseCliPath());
  if (!fs.existsSync(cli)) {
    throw new DeployError(
      'BUILD_FAILED',
      `${cli} is missing: the release does not depend on ${PACKAGE_NAME}, or its build did not ` +
        'compile it',
    );
  }
  return cli;
}
