import { projectRoot } from '../app/config';
import { runGenerator } from '../app/generate';
import { GeneratorError } from 'zero-downtime-toolkit';

const [what, ...args] = process.argv.slice(2);
try {
  const result = runGenerator(what, args, { projectRoot: projectRoot() });
  for (const file of result.written) process.stdout.write(`created ${file}\n`);
  for (const file of result.updated) process.stdout.write(`updated ${file}\n`);
  if (result.instructions.length)
    process.stdout.write(
      `\nNext:\n${result.instructions.map((line) => `  - ${line}`).join('\n')}\n`,
    );
} catch (error) {
  if (
    !(error instanceof GeneratorError) &&
    !(error as { code?: string }).code?.startsWith('GENERATOR')
  )
    throw error;
  process.stderr.write(`generate: ${(error as Error).message}\nNothing was written.\n`);
  process.exitCode = 1;
}
