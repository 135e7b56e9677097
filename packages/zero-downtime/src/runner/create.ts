import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_NAME } from '../core/project';
import { MigrationRunnerError } from './errors';
import { phaseFolder } from './files';
import type { Phase } from './settings';

/** `migrate:create`: a new, empty migration named `<UTC YYYYMMDDHHMMSS>-<kebab-name>`. */
export interface CreateMigrationOptions {
  migrationsDir: string;
  phase: Phase;
  name: string;
  kind: 'ts' | 'sql';
  now?: Date;
}

const MAX_NAME_LENGTH = 80;

export function migrationTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** "add users nickname", "addUsersNickname" and "add_users_nickname" all give add-users-nickname. */
export function toKebabName(input: string): string {
  const trimmed = input.trim();
  const kebab = trimmed
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[\s_-]+/g, '-')
    .replace(/^-|-$/g, '');
  if (!/^[A-Za-z][A-Za-z0-9 _-]*$/.test(trimmed) || kebab.length > MAX_NAME_LENGTH) {
    throw new MigrationRunnerError(
      'MIGRATION_NAME_INVALID',
      `"${input}" is not a usable migration name: start with a letter, use only letters, digits, ` +
        `spaces, dashes or underscores, at most ${MAX_NAME_LENGTH} characters ` +
        '(for example: add-users-nickname).',
    );
  }
  return kebab;
}

function title(kebab: string): string {
  const words = kebab.replace(/-/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const PHASE_RULE: Record<Phase, string> = {
  pre: 'Pre-deploy (expand): runs before the rolling restart, so the release serving now must\n * keep working on the result. Additive changes only.',
  post: 'Post-deploy (contract): runs once every instance serves the new release. It may remove\n * what only the previous release used.',
};

function tsTemplate(kebab: string, phase: Phase, importPath: string): string {
  return `import type { MigrationContext } from '${importPath}';

/**
 * ${title(kebab)}.
 *
 * ${PHASE_RULE[phase]}
 * Runs in one transaction under the runner's lock_timeout; export \`const transaction = false\`
 * for CREATE INDEX CONCURRENTLY. Guide: docs/writing-migrations.md. For example:
 *
 *   export async function up({ query }: MigrationContext): Promise<void> {
 *     await query('ALTER TABLE users ADD COLUMN nickname text');
 *   }
 */
export async function up(_context: MigrationContext): Promise<void> {}
`;
}

function sqlTemplate(kebab: string, phase: Phase): string {
  const rule = PHASE_RULE[phase].replace(/\n \* /g, '\n-- ');
  return `-- ${title(kebab)}.
--
-- ${rule}
-- Plain PostgreSQL, run in one transaction unless a statement cannot be (CONCURRENTLY).
-- Guide: docs/writing-migrations.md. Check it with \`npm run migrate:lint\`.
`;
}

export function createMigrationFile(options: CreateMigrationOptions): string {
  const kebab = toKebabName(options.name);
  const folder = phaseFolder(options.migrationsDir, options.phase);
  const file = path.join(
    folder,
    `${migrationTimestamp(options.now ?? new Date())}-${kebab}.${options.kind}`,
  );
  if (fs.existsSync(file)) {
    throw new MigrationRunnerError(
      'MIGRATION_EXISTS',
      `${file} already exists; wait a second or choose another name.`,
    );
  }
  fs.mkdirSync(folder, { recursive: true });
  const content =
    options.kind === 'sql'
      ? sqlTemplate(kebab, options.phase)
      : tsTemplate(kebab, options.phase, PACKAGE_NAME);
  fs.writeFileSync(file, content, { flag: 'wx' });
  return file;
}
