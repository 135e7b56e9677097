#!/usr/bin/env node
/**
 * `zdm`, the toolkit's one command line. The starter's npm scripts (`npm run migrate:pre`,
 * `npm run deploy`, ...) call it; see the package README for every command.
 */
import { command as backfill } from './backfill';
import { command as compare } from './compare';
import { command as compat } from './compat';
import { command as deploy } from './deploy';
import { command as generate } from './generate';
import { command as migrate } from './migrate';
import { command as rehearse } from './rehearse';
import { command as shadow } from './shadow';
import { runCli } from './run';

const COMMANDS = [migrate, backfill, compare, shadow, generate, deploy, compat, rehearse];

runCli(process.argv.slice(2), COMMANDS).then(
  (code) => process.stdout.write('', () => process.exit(code)),
  (error: unknown) => {
    process.stderr.write(`zdm: unexpected failure: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
