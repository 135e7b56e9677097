import { formatFindings, lintSql } from '../../src/lint';
import { PLAIN, styleFor, wantsColour } from '../../src/core/terminal';
import { killAll, runToEnd } from '../../src/testing';
import { migrationsFolder, type MigrationsFolder } from '../runner/support';
import { cliSource, starterRoot } from '../support/project';

/**
 * Colours only for a person's terminal: none in a pipe, FORCE_COLOR turns them on, NO_COLOR
 * (any value) off, whatever FORCE_COLOR says. The test processes' output is a pipe.
 */
const ESC = '\x1b[';
const UNSAFE = 'CREATE INDEX users_email ON users (email);\n';

let folder: MigrationsFolder;
let file: string;

beforeAll(() => {
  folder = migrationsFolder();
  file = folder.write('pre-deploy/20260101000000-index-users-email.sql', UNSAFE);
});

afterAll(async () => {
  folder.remove();
  await killAll();
});

// Jest gives its workers FORCE_COLOR=1 when it runs on a terminal: each case says what it wants.
const zdm = (args: string[], env: Record<string, string>) =>
  runToEnd(cliSource, args, { NO_COLOR: '', FORCE_COLOR: '', ...env }, starterRoot);
const lint = (env: Record<string, string>) =>
  zdm(['migrate', 'lint', file, '--migrations-dir', folder.dir], env);
// A usage error: printed by the command line's one failure path, before any database is needed.
const failure = (env: Record<string, string>) =>
  zdm(['migrate', 'create', 'later', 'name', '--migrations-dir', folder.dir], env);

describe('colour', () => {
  it('zdm migrate lint piped: no escape codes, the findings in plain text', async () => {
    const { code, output } = await lint({});
    expect(output).toContain('error  create-index-non-concurrent');
    expect(output).not.toContain(ESC);
    expect(code).toBe(1);
  });

  it('FORCE_COLOR=1 colours lint findings and failures even in a pipe', async () => {
    const linted = await lint({ FORCE_COLOR: '1' });
    expect(linted.output).toContain(`${ESC}31merror${ESC}39m`);
    expect(linted.code).toBe(1);
    const failed = await failure({ FORCE_COLOR: '1' });
    expect(failed.output).toContain(`${ESC}31mzdm migrate${ESC}39m: expected the phase`);
    expect(failed.code).toBe(2);
  });

  it('NO_COLOR=1 turns colours off, with or without FORCE_COLOR', async () => {
    for (const env of [{ NO_COLOR: '1' }, { NO_COLOR: '1', FORCE_COLOR: '1' }] as Record<
      string,
      string
    >[]) {
      const linted = await lint(env);
      expect(linted.output).toContain('error  create-index-non-concurrent');
      expect(linted.output).not.toContain(ESC);
      const failed = await failure(env);
      expect(failed.output).toContain('zdm migrate: expected the phase');
      expect(failed.output).not.toContain(ESC);
    }
  });

  it('the rule: NO_COLOR first, then FORCE_COLOR (0 is off), then whether the stream is a terminal', () => {
    const terminal = { isTTY: true };
    const pipe = { isTTY: false };
    expect(wantsColour(terminal, {})).toBe(true);
    expect(wantsColour(pipe, {})).toBe(false);
    expect(wantsColour(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(wantsColour(terminal, { FORCE_COLOR: '0' })).toBe(false);
    expect(wantsColour(terminal, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColour(terminal, { NO_COLOR: '' })).toBe(true);
    expect(wantsColour(pipe, { NO_COLOR: '1', FORCE_COLOR: '1' })).toBe(false);
    expect(styleFor(pipe, {})).toBe(PLAIN);
  });

  it('formatFindings is plain by default and coloured with a colour style', async () => {
    const findings = await lintSql(UNSAFE, { file: 'x.sql', phase: 'pre', squawk: false });
    expect(formatFindings(findings)).not.toContain(ESC);
    const coloured = formatFindings(findings, styleFor({ isTTY: true }, {}));
    expect(coloured).toContain(`${ESC}31merror${ESC}39m`);
    // eslint-disable-next-line no-control-regex
    expect(coloured.replace(/\u001b\[\d+m/g, '')).toBe(formatFindings(findings));
  });
});
