import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pipe, progress, run } from './run';

export const repoRoot = path.resolve(__dirname, '..', '..');

export interface RepoExport {
  dir: string;
  commit: string;
  remove(): void;
}

/**
 * A clean copy of the repository's tracked files at HEAD (`git archive`), the build context of
 * the image under test: no node_modules, no local data, no uncommitted changes.
 */
export async function exportHead(): Promise<RepoExport> {
  const git = (args: string[]) => run('git', args, { cwd: repoRoot, timeoutMs: 60_000 });
  const commit = (await git(['rev-parse', 'HEAD'])).stdout.trim();
  const dirty = (await git(['status', '--porcelain', '--untracked-files=no'])).stdout.trim();
  if (dirty)
    progress(`uncommitted changes are not part of the build (it is ${commit} as committed)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-infra-context-'));
  await pipe(
    { file: 'git', args: ['archive', '--format=tar', commit], cwd: repoRoot },
    { file: 'tar', args: ['-x', '-C', dir] },
    { timeoutMs: 120_000 },
  );
  return { dir, commit, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A TCP port that is free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
