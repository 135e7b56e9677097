import fs from 'node:fs';
import path from 'node:path';
import { FIELD_TYPES, type Field } from './fields';
import {
  GeneratorError,
  assertIdentifier,
  camel,
  kebab,
  migrationTimestamp,
  pascal,
  plural,
  singular,
  snake,
  type GeneratedFiles,
} from 'zero-downtime-toolkit';
import { renderMigration, renderModel, renderRoutes, renderTest } from './resource-templates';

/**
 * `npm run generate -- resource <name> [field:type[?] ...]`: a model, a route module registered
 * in the app, a pre-deploy migration creating the table, and a test; all pass as generated.
 * Every check runs before the first file is written, so a refusal writes nothing.
 */
export interface Resource {
  table: string;
  path: string;
  model: string;
  modelFile: string;
  /** The ApiResource the route module exports, listed in app/routes/index.ts. */
  resourceExport: string;
  routeFile: string;
  fields: Field[];
}

const RESERVED_FIELDS = new Set(['id', 'created_at', 'updated_at']);
const MODELS_INDEX = 'app/models/index.ts';
const ROUTES_INDEX = 'app/routes/index.ts';

export function describeResource(name: string, fieldSpecs: string[]): Resource {
  if (!name)
    throw new GeneratorError('Name the resource: npm run generate -- resource notes title:string');
  assertIdentifier(name, 'Resource name');
  const many = plural(singular(name));
  const one = singular(name);
  if (one === many)
    throw new GeneratorError(
      `Resource name "${name}" has no distinct singular; pick another name.`,
    );
  return {
    table: snake(many),
    path: `/${kebab(many)}`,
    model: pascal(one),
    modelFile: `app/models/${kebab(one)}.ts`,
    resourceExport: `${camel(many)}Resource`,
    routeFile: `app/routes/${kebab(many)}.ts`,
    fields: parseFields(fieldSpecs),
  };
}

export function parseFields(specs: string[]): Field[] {
  if (specs.length === 0) {
    throw new GeneratorError(
      'Give at least one field, for example: title:string body:text? done:boolean',
    );
  }
  const fields = specs.map(parseField);
  const seen = new Set<string>();
  for (const field of fields) {
    if (seen.has(field.column)) throw new GeneratorError(`Field "${field.column}" is given twice.`);
    seen.add(field.column);
  }
  return fields;
}

function parseField(spec: string): Field {
  const match = /^([^:]+):([a-z]+)(\?)?$/.exec(spec);
  if (!match) {
    throw new GeneratorError(
      `Field "${spec}" is not name:type, for example title:string or due:date?`,
    );
  }
  const [, name, typeName, optional] = match;
  assertIdentifier(name, 'Field name');
  const column = snake(name);
  if (RESERVED_FIELDS.has(column)) {
    throw new GeneratorError(`Field "${name}" is added to every resource already; leave it out.`);
  }
  const type = FIELD_TYPES[typeName];
  if (!type) {
    throw new GeneratorError(
      `Field "${name}" has unknown type "${typeName}"; use one of ${Object.keys(FIELD_TYPES).join(', ')}.`,
    );
  }
  return { column, attribute: camel(column), type, typeName, optional: optional === '?' };
}

export function generateResource(
  name: string,
  fieldSpecs: string[],
  options: { projectRoot: string; now?: Date },
): GeneratedFiles {
  const resource = describeResource(name, fieldSpecs);
  const root = options.projectRoot;
  const timestamp = migrationTimestamp(options.now ?? new Date());
  const files: Record<string, string> = {
    [resource.modelFile]: renderModel(resource),
    [resource.routeFile]: renderRoutes(resource),
    [`migrations/pre-deploy/${timestamp}-create-${kebab(resource.table)}.sql`]:
      renderMigration(resource),
    [`tests/http/${kebab(resource.table)}.test.ts`]: renderTest(resource),
  };
  refuseClashes(resource, Object.keys(files), root);
  const updates = {
    [MODELS_INDEX]: registerModel(read(root, MODELS_INDEX), resource),
    [ROUTES_INDEX]: registerRoute(read(root, ROUTES_INDEX), resource),
  };

  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), content, { flag: 'wx' });
  }
  for (const [file, content] of Object.entries(updates))
    fs.writeFileSync(path.join(root, file), content);
  return {
    written: Object.keys(files),
    updated: Object.keys(updates),
    instructions: [
      `Apply the migration locally: npm run migrate:pre (npm start does it for the embedded database).`,
      `Run the generated test: npx jest tests/http/${kebab(resource.table)}.test.ts`,
      `Routes: POST/GET ${resource.path}, GET/PATCH/DELETE ${resource.path}/:id`,
    ],
  };
}

function refuseClashes(resource: Resource, files: string[], root: string): void {
  for (const file of files) {
    if (fs.existsSync(path.join(root, file))) {
      throw new GeneratorError(
        `${file} exists already; the resource "${resource.table}" seems generated before.`,
      );
    }
  }
  const migrations = path.join(root, 'migrations');
  for (const phase of ['pre-deploy', 'post-deploy']) {
    const dir = path.join(migrations, phase);
    const existing = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
    const clash = existing.find(
      (file) =>
        file.endsWith(`-create-${kebab(resource.table)}.sql`) ||
        file.endsWith(`-create-${kebab(resource.table)}.ts`),
    );
    if (clash)
      throw new GeneratorError(
        `A migration creating "${resource.table}" exists already: migrations/${phase}/${clash}.`,
      );
  }
  if (read(root, MODELS_INDEX).includes(`{ ${resource.model} }`)) {
    throw new GeneratorError(
      `A model named ${resource.model} is registered already in ${MODELS_INDEX}.`,
    );
  }
  if (read(root, ROUTES_INDEX).includes(` ${resource.resourceExport} `)) {
    throw new GeneratorError(
      `A resource named ${resource.resourceExport} is listed already in ${ROUTES_INDEX}.`,
    );
  }
}

function read(root: string, file: string): string {
  return fs.readFileSync(path.join(root, file), 'utf8');
}

function registerModel(source: string, resource: Resource): string {
  const importLine = `import { ${resource.model} } from './${path.basename(resource.modelFile, '.ts')}';`;
  return insertImport(source, importLine, MODELS_INDEX)
    .replace(
      /export const models = \[([^\]]*)\];/,
      (_all, list: string) => `export const models = [${list}, ${resource.model}];`,
    )
    .replace(
      /export \{([^}]*)\};/,
      (_all, list: string) => `export {${list.trimEnd()}, ${resource.model} };`,
    );
}

function registerRoute(source: string, resource: Resource): string {
  const importLine = `import { ${resource.resourceExport} } from './${path.basename(resource.routeFile, '.ts')}';`;
  const list = /export const resources: ApiResource\[\] = \[([^\]]*)\];/;
  if (!list.test(source))
    throw new GeneratorError(
      `${ROUTES_INDEX} no longer has "export const resources: ApiResource[] = [...]"; list ${resource.resourceExport} there by hand.`,
    );
  return insertImport(source, importLine, ROUTES_INDEX).replace(
    list,
    (_all, items: string) =>
      `export const resources: ApiResource[] = [${items.trimEnd()}, ${resource.resourceExport}];`,
  );
}

function insertImport(source: string, line: string, file: string): string {
  const imports = [...source.matchAll(/^import .*;$/gm)];
  const last = imports[imports.length - 1];
  if (!last || last.index === undefined)
    throw new GeneratorError(`${file} has no import to add ${line} after.`);
  const at = last.index + last[0].length;
  return `${source.slice(0, at)}\n${line}${source.slice(at)}`;
}
