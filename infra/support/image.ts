import path from 'node:path';
import { logDir, type Docker } from './docker';
import { progress } from './run';
import { proxyBuildArgs } from './stand-ins';

/**
 * `docker build --network host` of the project's Dockerfile, from a clean export of a commit,
 * with GIT_COMMIT set to that commit. The classic builder (no BuildKit: it would fetch the
 * `# syntax=` frontend from a registry); layers are cached in the private engine's data root.
 */
export async function buildProjectImage(
  docker: Docker,
  options: { context: string; commit: string; tag: string },
): Promise<{ seconds: number }> {
  const started = Date.now();
  progress(`docker build ${options.tag} (commit ${options.commit.slice(0, 12)})`);
  await docker.docker(
    [
      'build',
      '--network',
      'host',
      '--build-arg',
      `GIT_COMMIT=${options.commit}`,
      ...(await proxyBuildArgs()),
      '-t',
      options.tag,
      options.context,
    ],
    { timeoutMs: 30 * 60_000, logFile: path.join(logDir(), 'app-build.log') },
  );
  const seconds = (Date.now() - started) / 1000;
  progress(`built ${options.tag} in ${seconds.toFixed(1)} s`);
  return { seconds };
}

export async function imageSizeBytes(docker: Docker, ref: string): Promise<number> {
  const result = await docker.docker(['image', 'inspect', '--format', '{{.Size}}', ref]);
  return Number(result.stdout.trim());
}
