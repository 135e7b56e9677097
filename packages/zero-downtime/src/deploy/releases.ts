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
/** In a release folder while a build writes it: the pid of the process building it. */
export const BUILDING_MARK = '.building';

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
  fs.rmSync(path.join(release.dir, BUILDING_MARK), { force: true });
}

/** Marks a release folder as being written by this process (removed by markComplete). */
export function markBuilding(dir: string): void {
  fs.writeFileSync(path.join(dir, BUILDING_MARK), `${process.pid}\n`);
}

/**
 * Whether a build may still be writing this incomplete folder: its mark names a process that
 * runs. A folder with no mark (a copy cut short, a build from before the mark existed) or
 * whose builder is gone is left over.
 */
function beingBuilt(dir: string): boolean {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(dir, BUILDING_MARK), 'utf8').trim());
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the oldest complete releases beyond `keep`, and incomplete release folders no build
 * is writing (a failed build's or a cut-short copy's), never `current` nor the ones named in
 * `protect` (the previous release, kept for rollbacks). Runs under the deploy lock.
 */
export function pruneReleases(root: string, keep: number, protect: string[] = []): string[] {
  const dir = releasesDir(root);
  if (!fs.existsSync(dir)) return [];
  const kept = new Set([currentRelease(root), ...protect].filter(Boolean));
  const ids = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
  const leftOver = ids.filter(
    (id) => !kept.has(id) && !isComplete(releaseDir(root, id)) && !beingBuilt(releaseDir(root, id)),
  );
  const complete = ids
    .filter((id) => isComplete(releaseDir(root, id)))
    .map((id) => ({
      id,
      time: fs.statSync(path.join(releaseDir(root, id), RELEASE_MANIFEST)).mtimeMs,
    }))
    .sort((a, b) => b.time - a.time);
  const removed = [
    ...leftOver,
    ...complete
      .slice(keep)
      .map((release) => release.id)
      .filter((id) => !kept.has(id)),
  ];
  for (const id of removed) fs.rmSync(releaseDir(root, id), { recursive: true, force: true });
  return removed;
}
