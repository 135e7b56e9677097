import fs from 'node:fs';
import path from 'node:path';

/** The name migrations and apps import the toolkit by. */
export const PACKAGE_NAME = 'zero-downtime-toolkit';

/**
 * The project the toolkit works on: the nearest folder at or above `from` (the current
 * directory: npm runs scripts from the package's folder) holding a package.json that is not
 * the toolkit's own.
 */
export function findProjectRoot(from: string = process.cwd()): string {
  let dir = path.resolve(from);
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && !isToolkitManifest(manifest)) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(from);
    dir = parent;
  }
}

/** This package's own folder (holding package.json), from source or from dist/. */
export function toolkitRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

function isToolkitManifest(file: string): boolean {
  return path.dirname(file) === toolkitRoot();
}
