import fs from 'node:fs';
import path from 'node:path';

/**
 * The layout of a deploy root on a host, Capistrano-style:
 *
 *   <root>/releases/<id>/     one built release per commit, side by side
 *   <root>/current -> releases/<id>   what PM2 runs (its script path goes through this link)
 *   <root>/shared/.env        optional, linked into every release
 *   <root>/shared/node_modules/<lock hash>/   installed dependencies, shared by releases
 *   <root>/deploy-state.json  the last deploy's progress, for --from
 *   <root>/deploy.lock        held while a deploy runs
 *
 * A rollback is "point current at the previous release and reload".
 */
export interface Release {
  id: string;
  commit: string;
  dir: string;
}

export const RELEASE_MANIFEST = '.release.json';

export function releasesDir(root: string): string {
  return path.join(root, 'releases');
}

export function releaseDir(root: string, id: string): string {
  return path.join(releasesDir(root), id);
}

export function currentLink(root: string): string {
  return path.join(root, 'current');
}

/** The release id `current` points at, if any. */
export function currentRelease(root: string): string | undefined {
  try {
    return path.basename(fs.readlinkSync(currentLink(root)));
  } catch {
    return undefined;
  }
}

/** Points `current` at a release atomically (a new link renamed over the old one). */
export function switchCurrent(root: string, id: string): void {
  if (!isComplete(releaseDir(root, id))) {
    throw new Error(`release ${id} is not a complete build in ${releasesDir(root)}`);
  }
  const link = currentLink(root);
  const temporary = `${link}.${process.pid}.tmp`;
  fs.rmSync(temporary, { force: true });
  fs.symlinkSync(path.join('releases', id), temporary);
  fs.renameSync(temporary, link);
}

export function isComplete(dir: string): boolean {
  return fs.existsSync(path.join(dir, RELEASE_MANIFEST));
}

export function readRelease(root: string, id: string): Release | undefined {
  const dir = releaseDir(root, id);
  if (!isComplete(dir)) return undefined;
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, RELEASE_MANIFEST), 'utf8')) as {
    commit: string;
  };
  return { id, commit: manifest.commit, dir };
}

export function markComplete(release: Release, extra: Record<string, unknown> = {}): void {
  const manifest = { id: release.id, commit: release.commit, builtAt: new Date(), ...extra };
  fs.writeFileSync(path.join(release.dir, RELEASE_MANIFEST), `${JSON.stringify(manifest)}\n`);
}

/**
 * Removes the oldest complete releases beyond `keep`, never `current` nor the ones named in
 * `protect` (the previous release, kept for rollbacks).
 */
export function pruneReleases(root: string, keep: number, protect: string[] = []): string[] {
  const dir = releasesDir(root);
  if (!fs.existsSync(dir)) return [];
  const kept = new Set([currentRelease(root), ...protect].filter(Boolean));
  const complete = fs
    .readdirSync(dir)
    .filter((id) => isComplete(releaseDir(root, id)))
    .map((id) => ({
      id,
      time: fs.statSync(path.join(releaseDir(root, id), RELEASE_MANIFEST)).mtimeMs,
    }))
    .sort((a, b) => b.time - a.time);
  const removed = complete
    .slice(keep)
    .map((release) => release.id)
    .filter((id) => !kept.has(id));
  for (const id of removed) fs.rmSync(releaseDir(root, id), { recursive: true, force: true });
  return removed;
}
