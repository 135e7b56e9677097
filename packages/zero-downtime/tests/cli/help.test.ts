import path from 'node:path';
import { COMMANDS } from '../../src/cli/commands';
import { patterns } from '../../src/generate/patterns';
import { killAll, runToEnd } from '../../src/testing';
import { cliSource, starterRoot } from '../support/project';

/**
 * `--help` everywhere: every `zdm` command and subcommand, and the starter's `npm run
 * generate`, prints its usage on stdout and exits 0, and the usage names every option the
 * command parses.
 */
afterAll(killAll);

const zdm = (...args: string[]) => runToEnd(cliSource, args, {}, starterRoot);
const generate = (...args: string[]) =>
  runToEnd(path.join(starterRoot, 'scripts/generate.ts'), args, {}, starterRoot);

const optionNames = (options: object) =>
  Object.keys(options)
    .filter((name) => name !== 'help')
    .map((name) => `--${name}`);

describe('--help', () => {
  it.each(COMMANDS.map((command) => [command.name, command] as const))(
    'zdm %s --help exits 0 and names every option',
    async (name, command) => {
      const { code, output } = await zdm(name, '--help');
      expect(output).toContain(`usage: zdm ${name}`);
      for (const option of optionNames(command.options ?? {})) expect(output).toContain(option);
      expect(code).toBe(0);
    },
  );

  it.each([
    ['pre', []],
    ['post', []],
    ['status', []],
    ['lint', ['--json']],
    ['create', ['--sql']],
    ['down', ['--to']],
    ['accept', []],
  ])('zdm migrate %s --help prints that subcommand with its options', async (name, options) => {
    const { code, output } = await zdm('migrate', name, '--help');
    expect(output).toContain(`usage: zdm migrate ${name}`);
    expect(output).toContain(`(npm run migrate:${name})`);
    for (const option of [...options, '--migrations-dir']) expect(output).toContain(option);
    expect(code).toBe(0);
  });

  it.each(patterns.map((pattern) => [pattern.name, pattern.usage]))(
    'zdm generate %s --help and npm run generate -- <it> --help print the pattern usage',
    async (name, usage) => {
      const fromZdm = await zdm('generate', name, '--help');
      expect(fromZdm.output).toContain(`usage: zdm generate ${usage}`);
      expect(fromZdm.code).toBe(0);
      const fromStarter = await generate(name, '-h');
      expect(fromStarter.output).toContain(`usage: npm run generate -- ${usage}`);
      expect(fromStarter.code).toBe(0);
    },
  );

  it('npm run generate -- --help lists every generator, and resource --help prints its usage', async () => {
    const all = await generate('--help');
    expect(all.output).toContain('usage: npm run generate -- <what> ...');
    for (const pattern of patterns) expect(all.output).toContain(pattern.usage);
    expect(all.code).toBe(0);

    const resource = await generate('resource', '--help');
    expect(resource.output).toContain('usage: npm run generate -- resource <name> <field:type[?]>');
    expect(resource.output).not.toContain('not a valid name');
    expect(resource.code).toBe(0);
  });

  it('zdm --help lists every command; zdm help <command> is its --help', async () => {
    const all = await zdm('--help');
    for (const command of COMMANDS) expect(all.output).toContain(command.summary);
    expect(all.code).toBe(0);
    const one = await zdm('help', 'backfill');
    expect(one.output).toContain('usage: zdm backfill');
    expect(one.code).toBe(0);
  });
});
