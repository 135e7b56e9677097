import {
  attribute,
  kebab,
  migrationSource,
  writeMigrations,
  type GeneratorOptions,
  type MigrationFile,
} from './support';

/**
 * The files of the four-step flow shared by rename-column and change-type: this release's
 * pre-deploy (expand) and post-deploy (contract) migrations, or, with --cleanup, the next
 * release's post-deploy migration that drops the old column and the trigger.
 */
export interface ColumnFlow {
  helper: 'renameColumn' | 'changeColumnType';
  /** The helper's options without `step`, as TypeScript source. */
  target: string;
  name: string;
  table: string;
  from: string;
  to: string;
  cleanup: boolean;
  rerun: string;
  modelChange: string;
}

export function writeColumnFlow(flow: ColumnFlow, options: GeneratorOptions) {
  const call = (step: string) => `await ${flow.helper}(ctx, { ${flow.target}, step: '${step}' });`;
  if (flow.cleanup) {
    return writeMigrations(
      [
        {
          phase: 'post',
          name: `${flow.name}-cleanup`,
          body: migrationSource({
            summary:
              `Step 4: drops ${flow.table}.${flow.from} and the trigger that synced it with ${flow.to}.\n` +
              'Post-deploy of the release after the one that switched to the new column.',
            helpers: [flow.helper],
            calls: [call('cleanup')],
            transaction: false,
          }),
        },
      ],
      options,
      [
        `Nothing in this release may reference ${flow.table}.${flow.from}; the previous release already stopped using it.`,
      ],
    );
  }
  const files: MigrationFile[] = [
    {
      phase: 'pre',
      name: flow.name,
      body: migrationSource({
        summary:
          `Steps 1-2: adds ${flow.table}.${flow.to}, a trigger keeping it in sync with ${flow.from} both ways,\n` +
          `and backfills it in batches. Pre-deploy: version N keeps using ${flow.from}.`,
        helpers: [flow.helper],
        calls: [call('expand')],
        transaction: false,
      }),
    },
    {
      phase: 'post',
      name: `${flow.name}-contract`,
      body: migrationSource({
        summary:
          `Step 3: ${flow.to} takes over NOT NULL and the default; ${flow.from} becomes nullable and\n` +
          'unused. Post-deploy: every instance uses the new column; the trigger stays until step 4.',
        helpers: [flow.helper],
        calls: [call('contract')],
        transaction: false,
      }),
    },
  ];
  return writeMigrations(files, options, [
    `Release N+1 (deployed with these migrations): ${flow.modelChange}`,
    `Next release: make sure nothing references the column ${flow.from} any more (raw SQL, other ` +
      `models), then generate step 4: npm run generate -- ${flow.rerun} --cleanup`,
  ]);
}

/**
 * What release N+1 changes in its model when the data moves to a new column: the attribute
 * stays and Sequelize's `field` option points it at the column. The attribute is the JSON
 * field the API returns, so renaming it would change the API under every client.
 */
export function keepAttributeAdvice(
  flow: Pick<ColumnFlow, 'table' | 'from' | 'to'>,
  type = 'its type',
): string {
  const kept = attribute(flow.from);
  return (
    `in the model of ${flow.table}, keep the attribute \`${kept}\` and point it at the new ` +
    `column: \`${kept}: { type: <${type}>, field: '${flow.to}' }\` (its other options as they ` +
    `are). The attribute is the field your API's JSON carries, so it stays \`${kept}\`; ` +
    `renaming the attribute to \`${attribute(flow.to)}\` would rename that field for every ` +
    `client (make that an API change of its own). In raw SQL, use ${flow.to} instead of ` +
    `${flow.from}.`
  );
}

export function flowName(...parts: string[]): string {
  return kebab(...parts);
}
