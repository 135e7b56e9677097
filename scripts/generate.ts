/**
 * npm run generate -- <what> ...: the starter's resource generator and the toolkit's
 * expand/contract patterns. Everything written is formatted with the project's Prettier.
 * `--help` alone lists every generator, after a generator's name prints that one's usage.
 * Exit codes: 0 written (or --help), 1 refused (nothing written), 2 bad usage.
 */
import { projectRoot } from '../app/config';
import { generators, runGenerator } from '../app/generate';
import { GeneratorError, formatGenerated, formatGeneratedFiles } from 'zero-downtime-toolkit';

function usage(): string {
  return [
    'usage: npm run generate -- <what> ...',
    ...generators().map((generator) => `  npm run generate -- ${generator.usage}`),
  ].join('\n');
}

async function main(): Promise<number> {
  const [what, ...args] = process.argv.slice(2);
  if (what === undefined || what === '--help' || what === '-h' || what === 'help') {
    process.stdout.write(`${usage()}\n`);
    return what === undefined ? 2 : 0;
  }
  const generator = generators().find((candidate) => candidate.name === what);
  if (generator && (args.includes('--help') || args.includes('-h'))) {
    process.stdout.write(`usage: npm run generate -- ${generator.usage}\n`);
    return 0;
  }
  const root = projectRoot();
  try {
    const result = runGenerator(what, args, { projectRoot: root });
    await formatGeneratedFiles(root, result);
    process.stdout.write(`${formatGenerated(result)}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof GeneratorError)) throw error;
    process.stderr.write(`generate: ${error.message}\nNothing was written.\n`);
    return 1;
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`generate: unexpected failure: ${(error as Error).stack}\n`);
    process.exitCode = 1;
  },
);
