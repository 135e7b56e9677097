#!/usr/bin/env node
/**
 * `zdm`, the toolkit's one command line. The starter's npm scripts (`npm run migrate:pre`,
 * `npm run deploy`, ...) call it; see the package README for every command.
 */
import { COMMANDS } from './commands';
import { runCli } from './run';

runCli(process.argv.slice(2), COMMANDS).then(
  (code) => process.stdout.write('', () => process.exit(code)),
  (error: unknown) => {
    process.stderr.write(`zdm: unexpected failure: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
