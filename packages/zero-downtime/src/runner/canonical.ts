import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { transformSync } from 'esbuild';
import { splitSqlStatements } from '../sql/split';
import type { MigrationFile } from './files';

/**
 * The checksum of what a migration does rather than how it is written, so formatting an
 * applied migration (Prettier, an editor, `npm run format`) does not make the runner refuse:
 *
 * - `.sql`: the statements as PostgreSQL's parser reads them; comments, whitespace, keyword
 *   case and the source positions the parse tree carries do not count.
 * - `.ts`: the JavaScript esbuild emits for the file with whitespace minified and comments
 *   dropped; quotes, trailing commas, line breaks and types do not count. esbuild is pinned to
 *   one exact version so its output, and so this checksum, does not move under an upgrade.
 *
 * Undefined when the file cannot be read as its kind (a syntax error): only the raw checksum
 * can vouch for it then.
 */
export async function canonicalChecksumOf(file: MigrationFile): Promise<string | undefined> {
  const source = fs.readFileSync(file.path, 'utf8');
  try {
    const canonical = file.kind === 'sql' ? await sqlCanonical(source) : tsCanonical(source);
    return createHash('sha256').update(canonical).digest('hex');
  } catch {
    return undefined;
  }
}

async function sqlCanonical(source: string): Promise<string> {
  const statements = await splitSqlStatements(source);
  return JSON.stringify(
    statements.map((statement) => statement.node),
    withoutPositions,
  );
}

/** Parse trees record where each node starts in the text: formatting moves every one. */
function withoutPositions(key: string, value: unknown): unknown {
  return key === 'location' ? undefined : value;
}

function tsCanonical(source: string): string {
  return transformSync(source, {
    loader: 'ts',
    minifyWhitespace: true,
    legalComments: 'none',
    charset: 'utf8',
  }).code;
}
