import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readTestServerState } from 'zero-downtime-toolkit/testing';
import { projectRoot, tsxCli } from '../support/process';

const NOT_COPIED = new Set([
  'node_modules',
  '.git',
  'dist',
  '.data',
  'reports',
  '.deploy',
  'coverage',
  // The toolkit is reached through node_modules (a link to the workspace), as in any project.
  'packages',
  'infra',
  'docs',
]);

/**
 * The resource this test generates: the first of these the project has not generated itself (a
 * newcomer's first resource is often "notes", and this suite runs in their project too).
 */
const [plural, singular] = (
  [
    ['notes', 'note'],
    ['memos', 'memo'],
    ['gizmos', 'gizmo'],
  ] as const
).find(([, one]) => !fs.existsSync(path.join(projectRoot, 'app/models', `${one}.ts`))) ?? [
  'zdm_samples',
  'zdm_sample',
];

/** A copy of the project (sharing node_modules) where the generator may write freely. */
function copyProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-generate-'));
  for (const entry of fs.readdirSync(projectRoot)) {
    if (NOT_COPIED.has(entry)) continue;
    fs.cpSync(path.join(projectRoot, entry), path.join(dir, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(projectRoot, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

function generate(dir: string, ...args: string[]) {
  return spawnSync(process.execPath, [tsxCli, 'scripts/generate.ts', ...args], {
    cwd: dir,
    encoding: 'utf8',
  });
}

function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const top of ['app', 'migrations', 'tests']) {
    for (const file of fs.readdirSync(path.join(dir, top), { recursive: true }) as string[]) {
      const full = path.join(dir, top, file);
      if (fs.statSync(full).isFile()) files[path.join(top, file)] = fs.readFileSync(full, 'utf8');
    }
  }
  return files;
}

describe('generate resource', () => {
  let dir: string;

  beforeAll(() => {
    dir = copyProject();
  });

  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes a model, routes, migration and test that typecheck and pass as generated', () => {
    const result = generate(
      dir,
      'resource',
      plural,
      'title:string',
      'body:text?',
      'done:boolean',
      'due:date?',
      'meta:json?',
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`created app/models/${singular}.ts`);
    expect(result.stdout).toContain(`created app/routes/${plural}.ts`);
    expect(result.stdout).toMatch(
      new RegExp(`created migrations/pre-deploy/\\d{14}-create-${plural}\\.sql`),
    );
    expect(result.stdout).toContain(`created tests/http/${plural}.test.ts`);
    expect(fs.readFileSync(path.join(dir, 'app/routes/index.ts'), 'utf8')).toContain(
      `${plural}Resource];`,
    );

    const typecheck = spawnSync(
      process.execPath,
      [path.join(dir, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', 'tsconfig.json'],
      {
        cwd: dir,
        encoding: 'utf8',
      },
    );
    expect(typecheck.stdout).toBe('');

    // The new routes are in the OpenAPI document, with no step of their own.
    const document = spawnSync(
      process.execPath,
      [
        tsxCli,
        '-e',
        "const { openApiDocument } = require('./app/http/openapi'); const { resources } = require('./app/routes');" +
          " process.stdout.write(JSON.stringify(Object.keys(openApiDocument(resources, { title: 'api', version: '0' }).paths)));",
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(document.stderr).toBe('');
    expect(JSON.parse(document.stdout)).toEqual(
      expect.arrayContaining([`/${plural}`, `/${plural}/{id}`]),
    );

    // The document's own tests (valid, every route of the stack in it) and the metrics' (each
    // resource counted under its pattern) now cover the new resource too.
    const { serverUrl } = readTestServerState();
    const jest = spawnSync(
      process.execPath,
      [
        path.join(dir, 'node_modules/jest/bin/jest.js'),
        `tests/http/${plural}.test.ts`,
        'tests/http/users.test.ts',
        'tests/http/openapi.test.ts',
        'tests/http/metrics.test.ts',
      ],
      {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, TEST_DATABASE_URL: serverUrl, ZDM_TEST_STATE: '' },
      },
    );
    expect(jest.stderr).toMatch(/Tests:\s+\d+ passed, \d+ total/);
    expect(jest.status).toBe(0);
  });

  it('writes code that passes npm run lint (ESLint and Prettier) as generated, patterns included', () => {
    const pattern = generate(dir, 'add-column', plural, 'nickname', 'text', '--default', "'anon'");
    expect(pattern.stderr).toBe('');
    expect(pattern.status).toBe(0);
    const lint = spawnSync('npm', ['run', 'lint', '--silent'], { cwd: dir, encoding: 'utf8' });
    expect(`${lint.stdout}${lint.stderr}`).not.toMatch(/warn|error/i);
    expect(lint.status).toBe(0);
  });

  it('prints its usage for --help and exits 0', () => {
    const help = generate(dir, '--help');
    expect(help.stdout).toContain('npm run generate -- resource <name>');
    expect(help.stdout).toContain('npm run generate -- add-column');
    expect(help.status).toBe(0);
  });

  it.each([
    [['resource', 'users', 'name:string'], /exists already|registered already/],
    [['resource', 'Bad Name', 'x:string'], /not a valid name/],
    [['resource', 'order', 'x:string'], /reserved word/],
    [['resource', 'widgets', 'size:huge'], /unknown type "huge"/],
    [['resource', 'widgets', 'id:integer'], /added to every resource already/],
    [['resource', 'widgets'], /at least one field/],
    [['resource', 'widgets', 'a:string', 'a:text'], /given twice/],
    [['nothing-like-this'], /Unknown generator/],
  ])('refuses %j with a clear message and writes nothing', (args, message) => {
    const before = snapshot(dir);
    const result = generate(dir, ...args);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('Nothing was written.');
    expect(snapshot(dir)).toEqual(before);
  });
});
