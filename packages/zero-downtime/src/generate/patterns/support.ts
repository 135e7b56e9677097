import fs from 'node:fs';
import path from 'node:path';
import type { GeneratedFiles } from '../files';
import { PACKAGE_NAME } from '../../core/project';
import { GeneratorError, RESERVED_WORDS, migrationTimestamp } from '../names';

/**
 * Shared by the pattern generators: argument parsing, identifier checks, and writing the
 * migration files of a pattern all at once, after every check (a refusal writes nothing).
 */
export interface GeneratorOptions {
  projectRoot: string;
  now?: Date;
}

export interface PatternGenerator {
  name: string;
  usage: string;
  run(args: string[], options: GeneratorOptions): GeneratedFiles;
}

export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string | true>;
}

/** `a b --flag value --switch` with the flags this generator knows; anything else is refused. */
export function parseArgs(
  args: string[],
  known: { values?: string[]; switches?: string[] },
  usage: string,
): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const name = arg.slice(2);
    if (known.switches?.includes(name)) {
      flags.set(name, true);
    } else if (known.values?.includes(name)) {
      const value = args[index + 1];
      if (value === undefined || value.startsWith('--')) refuse(`--${name} needs a value.`, usage);
      flags.set(name, value);
      index += 1;
    } else {
      refuse(`Unknown option ${arg}.`, usage);
    }
  }
  return { positionals, flags };
}

export function refuse(message: string, usage?: string): never {
  throw new GeneratorError(usage ? `${message}\nUsage: npm run generate -- ${usage}` : message);
}

const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** A table or column name usable unquoted in SQL: lower case, digits, underscores. */
export function identifier(value: string | undefined, what: string, usage: string): string {
  if (!value) refuse(`Missing ${what}.`, usage);
  if (!SQL_IDENTIFIER.test(value) || value.length > 63) {
    refuse(
      `${what} "${value}" is not a valid SQL name: use lower-case letters, digits and "_", starting with a letter or "_".`,
    );
  }
  if (RESERVED_WORDS.has(value))
    refuse(`${what} "${value}" is a reserved word in PostgreSQL; pick another name.`);
  return value;
}

/** A table, optionally schema-qualified. */
export function tableName(value: string | undefined, usage: string): string {
  if (!value) refuse('Missing table.', usage);
  const parts = value.split('.');
  if (parts.length > 2) refuse(`Table "${value}" is not a table name: use table or schema.table.`);
  parts.forEach((part) => identifier(part, 'Table', usage));
  return value;
}

/** A SQL type: letters, digits, spaces, parentheses and commas (e.g. `numeric(12, 2)`). */
export function sqlType(value: string | undefined, usage: string): string {
  if (!value) refuse('Missing type.', usage);
  if (!/^[a-z][a-z0-9_ ]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?(\[\])?$/i.test(value)) {
    refuse(
      `"${value}" is not a type this generator accepts (e.g. text, bigint, numeric(12,2), timestamptz).`,
    );
  }
  return value;
}

export function noExtraPositionals(parsed: ParsedArgs, count: number, usage: string) {
  if (parsed.positionals.length > count) {
    refuse(`Unexpected argument "${parsed.positionals[count]}".`, usage);
  }
}

export interface MigrationFile {
  phase: 'pre' | 'post';
  name: string;
  body: string;
}

const FOLDERS = { pre: 'migrations/pre-deploy', post: 'migrations/post-deploy' } as const;

/**
 * Writes the migrations of one pattern: `<UTC YYYYMMDDHHMMSS>-<name>.ts`, files of one pattern
 * one second apart so they sort in the order given. Refuses before writing if any exists.
 */
export function writeMigrations(
  files: MigrationFile[],
  options: GeneratorOptions,
  instructions: string[],
): GeneratedFiles {
  const start = (options.now ?? new Date()).getTime();
  const planned = files.map((file, index) => ({
    ...file,
    relative: `${FOLDERS[file.phase]}/${migrationTimestamp(new Date(start + index * 1000))}-${file.name}.ts`,
  }));
  for (const file of planned) {
    const folder = path.join(options.projectRoot, FOLDERS[file.phase]);
    const clash =
      fs.existsSync(folder) &&
      fs.readdirSync(folder).find((entry) => entry.replace(/^\d+-/, '') === `${file.name}.ts`);
    if (clash)
      refuse(`${FOLDERS[file.phase]}/${clash} already exists; this pattern was generated before.`);
  }
  for (const file of planned) {
    const target = path.join(options.projectRoot, file.relative);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, file.body);
  }
  return { written: planned.map((file) => file.relative), updated: [], instructions };
}

/** A `.ts` migration calling the toolkit's helpers with the migration's context. */
export function migrationSource(options: {
  summary: string;
  helpers: string[];
  calls: string[];
  transaction: boolean;
}): string {
  const lines = [
    `import { ${[...options.helpers].sort().join(', ')}, type MigrationContext } from '${PACKAGE_NAME}';`,
    '',
  ];
  if (!options.transaction) {
    lines.push('// Each step commits on its own (CONCURRENTLY, VALIDATE, batched backfill).');
    lines.push('export const transaction = false;', '');
  }
  lines.push('/**', ...options.summary.split('\n').map((line) => ` * ${line}`.trimEnd()), ' */');
  lines.push('export async function up(ctx: MigrationContext): Promise<void> {');
  lines.push(...options.calls.map((call) => `  ${call}`));
  lines.push('}', '');
  return lines.join('\n');
}

/** A TypeScript string literal. */
export function literal(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function kebab(...parts: string[]): string {
  return parts.join('-').replace(/[._]/g, '-').replace(/-+/g, '-').toLowerCase();
}

export function attribute(column: string): string {
  return column.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
}
