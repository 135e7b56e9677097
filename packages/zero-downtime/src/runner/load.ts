import fs from 'node:fs';
import path from 'node:path';
import { appContract } from '../core/config';
import { findProjectRoot } from '../core/project';
import type { Migration } from './context';
import { MigrationRunnerError } from './errors';
import type { MigrationFile } from './files';

/**
 * Loads a `.ts` migration: its compiled twin under the project's build output when the project
 * was built after the source last changed (`node dist/...` in production), else the source
 * itself, through the TypeScript loader already registered (tsx, ts-jest) or, failing that,
 * the project's own tsx. Either way the checksum is the source file's, so both agree on what
 * was applied.
 */
function loadable(file: string): string {
  if (!file.endsWith('.ts') || typeScriptLoads()) return file;
  const root = findProjectRoot(path.dirname(file));
  const hasManifest = fs.existsSync(path.join(root, 'package.json'));
  const compiled = hasManifest
    ? path.join(root, appContract(root).outDir, path.relative(root, file)).replace(/\.ts$/, '.js')
    : `${file.slice(0, -3)}.js`;
  const built = fs.existsSync(compiled);
  if (built && !newerThan(file, compiled)) return compiled;
  const tsx = tsxApi(root);
  // Without tsx (a production install), a compiled twin is all there is, however old.
  if (built && !tsx) return compiled;
  if (!tsx) {
    throw new MigrationRunnerError(
      'MIGRATION_INVALID',
      `${file} has no compiled version at ${compiled} and tsx is not installed to load it: ` +
        'build the project first (npm run build compiles migrations/ into the build output).',
    );
  }
  (require(tsx) as { register(): unknown }).register();
  return file;
}

/** The project's own tsx loader API, if it has tsx installed. */
function tsxApi(root: string): string | undefined {
  try {
    return require.resolve('tsx/cjs/api', { paths: [root] });
  } catch {
    return undefined;
  }
}

/** A source edited after the last build: its compiled twin is stale, the source runs. */
function newerThan(source: string, compiled: string): boolean {
  return fs.statSync(source).mtimeMs > fs.statSync(compiled).mtimeMs;
}

/** Under ts-jest or tsx (the toolkit itself running from source), `.ts` already loads. */
function typeScriptLoads(): boolean {
  return __filename.endsWith('.ts') || Boolean(require.extensions['.ts']);
}

export function loadMigrationModule(file: MigrationFile): Migration {
  const target = loadable(file.path);
  let loaded: Record<string, unknown>;
  try {
    loaded = require(target) as Record<string, unknown>;
  } catch (error) {
    throw new MigrationRunnerError(
      'MIGRATION_INVALID',
      `${file.path} could not be loaded: ${error instanceof Error ? error.message : String(error)}`,
      { migration: file.name },
      { cause: error },
    );
  }
  const module = (
    typeof (loaded.default as Migration | undefined)?.up === 'function' ? loaded.default : loaded
  ) as Partial<Migration>;
  if (typeof module.up !== 'function') {
    throw new MigrationRunnerError(
      'MIGRATION_INVALID',
      `${file.path} exports no \`up\` function; a .ts migration exports ` +
        '`async function up(context: MigrationContext)` (and optionally `down`).',
      { migration: file.name },
    );
  }
  if (module.transaction !== undefined && typeof module.transaction !== 'boolean') {
    throw new MigrationRunnerError(
      'MIGRATION_INVALID',
      `${file.path} exports \`transaction\` = ${String(module.transaction)}; it must be true or false.`,
      { migration: file.name },
    );
  }
  return module as Migration;
}
