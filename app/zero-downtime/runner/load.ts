import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../config';
import type { Migration } from './context';
import { MigrationRunnerError } from './errors';
import type { MigrationFile } from './files';

/**
 * Loads a `.ts` migration. Under tsx or ts-jest the source file itself; from the compiled
 * build (`node dist/...`) its compiled twin under dist/. Either way the checksum is the
 * source file's, so both agree on what was applied.
 */
function runningFromSource(): boolean {
  return __filename.endsWith('.ts') || Boolean(require.extensions['.ts']);
}

function compiledPath(file: string): string {
  const root = projectRoot();
  const relative = path.relative(root, file);
  const distRoot = path.resolve(__dirname, '..', '..', '..');
  const compiled = path.join(distRoot, relative).replace(/\.ts$/, '.js');
  if (relative.startsWith('..') || !fs.existsSync(compiled)) {
    throw new MigrationRunnerError(
      'MIGRATION_INVALID',
      `${file} has no compiled version at ${compiled}: run \`npm run build\` (migrations/ is ` +
        'compiled into dist/), or run the migration command through tsx (`npm run migrate:pre`).',
    );
  }
  return compiled;
}

export function loadMigrationModule(file: MigrationFile): Migration {
  const target = runningFromSource() ? file.path : compiledPath(file.path);
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
