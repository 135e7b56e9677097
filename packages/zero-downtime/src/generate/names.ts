import { ToolkitError } from '../core/errors';
/** Name handling shared by the generators: validation, case conversion, timestamps. */

export class GeneratorError extends ToolkitError<'GENERATOR_REFUSED'> {
  constructor(message: string) {
    super('GENERATOR_REFUSED', message);
  }
}

const IDENTIFIER = /^[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*$/;

/** Words PostgreSQL reserves, which would need quoting everywhere as table or column names. */
export const RESERVED_WORDS: ReadonlySet<string> = new Set(
  (
    'all analyse analyze and any array as asc asymmetric both case cast check collate column ' +
    'constraint create current_catalog current_date current_role current_time current_timestamp ' +
    'current_user default deferrable desc distinct do else end except false fetch for foreign ' +
    'from grant group having in initially intersect into lateral leading limit localtime ' +
    'localtimestamp not null offset on only or order placing primary references returning select ' +
    'session_user some symmetric system_user table then to trailing true union unique user using ' +
    'variadic when where window with'
  ).split(' '),
);

export function assertIdentifier(value: string, what: string): void {
  if (!IDENTIFIER.test(value) || value.length > 50) {
    throw new GeneratorError(
      `${what} "${value}" is not a valid name: use lower-case letters, digits, "_" or "-", ` +
        `starting with a letter (for example "blog-posts").`,
    );
  }
  if (RESERVED_WORDS.has(value.replace(/-/g, '_'))) {
    throw new GeneratorError(
      `${what} "${value}" is a reserved word in PostgreSQL; pick another name.`,
    );
  }
}

export const snake = (name: string): string => name.replace(/-/g, '_');
export const kebab = (name: string): string => name.replace(/_/g, '-');

export function camel(name: string): string {
  return name.replace(/[-_]([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
}

export function pascal(name: string): string {
  const value = camel(name);
  return value.charAt(0).toUpperCase() + value.slice(1);
}

/** English singular of the last word, good enough for resource names ("blog-posts" -> "blog-post"). */
export function singular(name: string): string {
  if (/ies$/.test(name)) return name.replace(/ies$/, 'y');
  if (/(ss|us)$/.test(name)) return name;
  if (/(s|x|z|ch|sh)es$/.test(name)) return name.replace(/es$/, '');
  if (/s$/.test(name)) return name.replace(/s$/, '');
  return name;
}

export function plural(name: string): string {
  if (/[^aeiou]y$/.test(name)) return name.replace(/y$/, 'ies');
  if (/(s|x|z|ch|sh)$/.test(name)) return `${name}es`;
  return `${name}s`;
}

/** The runner owns migration file names; generators stamp their files the same way. */
export { migrationTimestamp } from '../runner/create';
