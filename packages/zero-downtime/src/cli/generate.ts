/**
 * zdm generate <pattern> ...: the expand/contract patterns, each writing the migrations of its
 * steps (docs/expand-contract.md). The starter's `npm run generate` adds its own `resource`
 * generator in front of these.
 */
import { findProjectRoot } from '../core/project';
import { patterns } from '../generate/patterns';
import { formatGenerated, formatGeneratedFiles } from '../generate/files';
import type { PatternGenerator } from '../generate/patterns';
import { UsageError, type CliCommand } from './run';

function patternUsage(prefix: string, generators: PatternGenerator[] = patterns): string {
  return generators.map((generator) => `  ${prefix} ${generator.usage}`).join('\n');
}

const USAGE = `usage: zdm generate <pattern> ...   (npm run generate -- <pattern> ...)
${patternUsage('zdm generate')}`;

function subcommandUsage([name]: string[]): string | undefined {
  const generator = patterns.find((candidate) => candidate.name === name);
  return generator && `usage: zdm generate ${generator.usage}`;
}

async function run(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const generator = patterns.find((candidate) => candidate.name === name);
  if (!generator) {
    throw new UsageError(name ? `unknown pattern "${name}"` : 'say which pattern to generate');
  }
  const root = findProjectRoot();
  const result = generator.run(args, { projectRoot: root });
  await formatGeneratedFiles(root, result);
  process.stdout.write(`${formatGenerated(result)}\n`);
  return 0;
}

export const command: CliCommand = {
  name: 'generate',
  summary: 'expand/contract patterns: the migrations of each step, in your names',
  usage: USAGE,
  subcommandUsage,
  run,
};
