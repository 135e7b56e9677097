import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { lockHash, pruneDependencies } from '../../src/deploy/dependencies';
import {
  BUILDING_MARK,
  RELEASE_MANIFEST,
  pruneReleases,
  releaseDir,
} from '../../src/deploy/releases';
import { tempDir } from './support/fixture';

/** Pruning a deploy root: what is removed after a successful deploy, and what stays. */
describe('pruning releases', () => {
  let root: string;

  beforeEach(() => {
    root = tempDir('zdm-prune-');
  });

  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  const release = (id: string, files: Record<string, string>, mtime?: Date) => {
    const dir = releaseDir(root, id);
    fs.mkdirSync(dir, { recursive: true });
    for (const [file, content] of Object.entries(files)) {
      fs.writeFileSync(path.join(dir, file), content);
      if (mtime) fs.utimesSync(path.join(dir, file), mtime, mtime);
    }
    return dir;
  };
  const complete = (id: string, minutesAgo: number) =>
    release(
      id,
      { [RELEASE_MANIFEST]: JSON.stringify({ id, commit: id }), REVISION: `${id}\n` },
      new Date(Date.now() - minutesAgo * 60_000),
    );
  const remaining = () => fs.readdirSync(path.join(root, 'releases')).sort();
  /** A pid that no process has: one of a process that already exited. */
  const deadPid = () => spawnSync('true').pid;

  it('removes incomplete release folders whose build is over (failed build, cut-short copy), not one a running build writes, nor current', () => {
    complete('good1', 3);
    complete('good2', 2);
    release('failed-build', { [BUILDING_MARK]: `${deadPid()}\n`, 'package.json': '{}' });
    release('cut-short-copy', { 'package.json': '{}' });
    // The rehearsal builds the head in the deploy root while the base deploys, in-process.
    release('being-built', { [BUILDING_MARK]: `${process.pid}\n`, 'package.json': '{}' });
    release('current-but-incomplete', { 'package.json': '{}' });
    fs.symlinkSync(path.join('releases', 'current-but-incomplete'), path.join(root, 'current'));

    const removed = pruneReleases(root, 5);

    expect(removed.sort()).toEqual(['cut-short-copy', 'failed-build']);
    expect(remaining()).toEqual(['being-built', 'current-but-incomplete', 'good1', 'good2']);
  });

  it('keeps the newest complete releases, current and the protected previous one', () => {
    for (let i = 1; i <= 4; i++) complete(`r${i}`, 10 - i);
    fs.symlinkSync(path.join('releases', 'r2'), path.join(root, 'current'));

    expect(pruneReleases(root, 1, ['r1']).sort()).toEqual(['r3']);
    expect(remaining()).toEqual(['r1', 'r2', 'r4']);
  });

  it('keeps the production dependency set of a lock file in use with the full one, removes both once unused', () => {
    const used = complete('used', 1);
    fs.writeFileSync(path.join(used, 'package-lock.json'), '{"lockfileVersion":3}\n');
    const hash = lockHash(used);
    const base = path.join(root, 'shared', 'node_modules');
    for (const name of [
      hash,
      `${hash}-production`,
      'aaaaaaaaaaaaaaaa',
      'aaaaaaaaaaaaaaaa-production',
    ]) {
      fs.mkdirSync(path.join(base, name), { recursive: true });
    }

    const removed = pruneDependencies(root, [used]);

    expect(removed.sort()).toEqual(['aaaaaaaaaaaaaaaa', 'aaaaaaaaaaaaaaaa-production']);
    expect(fs.readdirSync(base).sort()).toEqual([hash, `${hash}-production`]);
  });
});
