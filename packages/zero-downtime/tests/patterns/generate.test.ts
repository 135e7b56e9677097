import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatGenerated } from '../../src/generate/files';
import { patterns } from '../../src/generate/patterns';

/** The pattern generators, each writing into a temporary project folder. */
let root: string;
const now = new Date('2026-06-01T12:00:00Z');

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-generate-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function generate(name: string, ...args: string[]) {
  const generator = patterns.find((candidate) => candidate.name === name);
  if (!generator) throw new Error(`no generator ${name}`);
  return generator.run(args, { projectRoot: root, now });
}

const read = (relative: string) => fs.readFileSync(path.join(root, relative), 'utf8');

function listed(): string[] {
  const folders = ['migrations/pre-deploy', 'migrations/post-deploy'];
  return folders.flatMap((folder) =>
    fs.existsSync(path.join(root, folder))
      ? fs.readdirSync(path.join(root, folder)).map((file) => `${folder}/${file}`)
      : [],
  );
}

test('every pattern the brief names has a generator with a usage line', () => {
  expect(patterns.map((generator) => generator.name)).toEqual([
    'add-column',
    'add-not-null',
    'drop-column',
    'rename-column',
    'change-type',
    'add-index',
    'add-foreign-key',
    'rename-table',
    'shadow-table',
  ]);
  for (const generator of patterns) expect(generator.usage.startsWith(generator.name)).toBe(true);
});

test('rename-column writes the expand (pre) and contract (post) migrations and says what to change in the model', () => {
  const result = generate('rename-column', 'users', 'name', 'full_name');
  expect(result.written).toEqual([
    'migrations/pre-deploy/20260601120000-rename-users-name-to-full-name.ts',
    'migrations/post-deploy/20260601120001-rename-users-name-to-full-name-contract.ts',
  ]);
  const pre = read(result.written[0]);
  expect(pre).toContain(
    `import { renameColumn, type MigrationContext } from 'zero-downtime-toolkit';`,
  );
  expect(pre).toContain('export const transaction = false;');
  expect(pre).toContain(
    `await renameColumn(ctx, { table: 'users', from: 'name', to: 'full_name', step: 'expand' });`,
  );
  expect(read(result.written[1])).toContain(`step: 'contract'`);
  const advice = formatGenerated(result);
  // The attribute is the API's JSON field: it stays, only its column changes.
  expect(advice).toContain(
    "keep the attribute `name` and point it at the new column: `name: { type: <its type>, field: 'full_name' }`",
  );
  expect(advice).toContain('so it stays `name`; renaming the attribute to `fullName` would rename');
  expect(advice).not.toMatch(/replace the attribute/);
  expect(result.instructions.join('\n')).toContain(
    'npm run generate -- rename-column users name full_name --cleanup',
  );

  const cleanup = patterns[3].run(['users', 'name', 'full_name', '--cleanup'], {
    projectRoot: root,
    now: new Date('2026-07-01T00:00:00Z'),
  });
  expect(cleanup.written).toEqual([
    'migrations/post-deploy/20260701000000-rename-users-name-to-full-name-cleanup.ts',
  ]);
  expect(read(cleanup.written[0])).toContain(`step: 'cleanup'`);
});

test('drop-column prepares in pre-deploy, drops in post-deploy, and names the model change', () => {
  const result = generate('drop-column', 'users', 'avatar_url');
  expect(result.written).toEqual([
    'migrations/pre-deploy/20260601120000-drop-users-avatar-url-prepare.ts',
    'migrations/post-deploy/20260601120001-drop-users-avatar-url.ts',
  ]);
  expect(read(result.written[0])).toContain(
    `await prepareDropColumn(ctx, { table: 'users', column: 'avatar_url' });`,
  );
  expect(read(result.written[1])).toContain(
    `await dropColumn(ctx, { table: 'users', column: 'avatar_url' });`,
  );
  expect(result.instructions[0]).toContain(
    "remove `avatarUrl` (field 'avatar_url') from the model of users",
  );
});

test('add-column: constant default in pre only; NOT NULL with --backfill adds the post step; a volatile default is set separately', () => {
  const constant = generate(
    'add-column',
    'users',
    'plan',
    'text',
    '--default',
    "'free'",
    '--not-null',
  );
  expect(constant.written).toHaveLength(1);
  expect(read(constant.written[0])).toContain(`default: '\\'free\\'', notNull: true`);

  fs.rmSync(path.join(root, 'migrations'), { recursive: true });
  const later = generate(
    'add-column',
    'users',
    'score',
    'integer',
    '--not-null',
    '--backfill',
    '0',
  );
  expect(later.written.map((file) => file.split('/')[1])).toEqual(['pre-deploy', 'post-deploy']);
  const post = read(later.written[1]);
  expect(post).toContain(
    `await backfillColumn(ctx, { table: 'users', column: 'score', value: '0' });`,
  );
  expect(post).toContain(`await addNotNull(ctx, { table: 'users', column: 'score' });`);

  fs.rmSync(path.join(root, 'migrations'), { recursive: true });
  const volatile = generate(
    'add-column',
    'users',
    'token',
    'uuid',
    '--default',
    'gen_random_uuid()',
  );
  const pre = read(volatile.written[0]);
  expect(pre).toContain(`await addColumn(ctx, { table: 'users', column: 'token', type: 'uuid' });`);
  expect(pre).toContain('ALTER COLUMN token SET DEFAULT gen_random_uuid()');
  expect(volatile.instructions.join('\n')).toContain(
    '--set "token = gen_random_uuid()" --where "token IS NULL"',
  );
});

test('add-not-null, change-type, add-index, add-foreign-key, rename-table and shadow-table write their migrations', () => {
  expect(generate('add-not-null', 'users', 'email').written).toEqual([
    'migrations/post-deploy/20260601120000-not-null-users-email.ts',
  ]);
  const change = generate(
    'change-type',
    'orders',
    'amount',
    'amount_cents',
    'bigint',
    '--up',
    'amount * 100',
  );
  expect(read(change.written[0])).toContain(
    `to: 'amount_cents', type: 'bigint', up: 'amount * 100', step: 'expand'`,
  );
  expect(formatGenerated(change)).toContain(
    "keep the attribute `amount` and point it at the new column: `amount: { type: <the Sequelize type of bigint>, field: 'amount_cents' }`",
  );
  const index = generate('add-index', 'users', 'email,created_at', '--unique');
  expect(read(index.written[0])).toContain(
    `await addIndex(ctx, { table: 'users', columns: ['email', 'created_at'], unique: true });`,
  );
  const key = generate('add-foreign-key', 'orders', 'user_id', 'users', '--on-delete', 'cascade');
  expect(read(key.written[0])).toContain(`references: { table: 'users' }, onDelete: 'CASCADE'`);
  const rename = generate('rename-table', 'people', 'persons');
  expect(rename.written).toHaveLength(2);
  expect(read(rename.written[1])).toContain(`step: 'cleanup'`);
  expect(rename.instructions[0]).toContain("tableName: 'persons'");
  const shadow = generate('shadow-table', 'events', '--alter', 'ALTER COLUMN id TYPE bigint');
  expect(read(shadow.written[0])).toContain(
    `await rebuildTable(ctx, { table: 'events', alter: 'ALTER COLUMN id TYPE bigint', step: 'swap' });`,
  );
  expect(read(shadow.written[1])).toContain(`step: 'cleanup'`);
});

test.each([
  ['rename-column', ['users', 'Name', 'full_name'], /not a valid SQL name/],
  ['rename-column', ['users', 'name', 'select'], /reserved word/],
  ['rename-column', ['users', 'name'], /Missing New column/],
  ['rename-column', ['users', 'name', 'name'], /new name is the old one/],
  ['drop-column', ['users; drop table x', 'a'], /not a valid SQL name/],
  ['add-column', ['users', 'bio', 'text); drop table users; --'], /not a type/],
  ['add-column', ['users', 'nickname', 'text', '--default', 'anon'], /--default "'anon'"/],
  ['add-index', ['users', 'email', '--bogus'], /Unknown option --bogus/],
  [
    'add-foreign-key',
    ['orders', 'user_id', 'users', '--on-delete', 'explode'],
    /--on-delete must be one of/,
  ],
  ['change-type', ['orders', 'amount', 'amount', 'bigint'], /needs its own name/],
  ['shadow-table', ['events'], /exactly one of --alter or --file/],
  ['add-index', ['users', 'email', 'extra'], /Unexpected argument "extra"/],
])('%s %j is refused with a clear message and writes nothing', (name, args, message) => {
  expect(() => generate(name, ...args)).toThrow(message);
  expect(listed()).toEqual([]);
});

test('a pattern generated twice is refused the second time, writing nothing more', () => {
  generate('drop-column', 'users', 'avatar');
  expect(() => generate('drop-column', 'users', 'avatar')).toThrow(/already exists/);
  expect(listed()).toHaveLength(2);
});

test('refusals are GeneratorErrors the generate command prints without a stack', () => {
  try {
    generate('rename-column', 'users');
    throw new Error('not refused');
  } catch (error) {
    expect((error as { code?: string }).code).toBe('GENERATOR_REFUSED');
  }
});
