import { command as backfill } from './backfill';
import { command as compare } from './compare';
import { command as compat } from './compat';
import { command as deploy } from './deploy';
import { command as generate } from './generate';
import { command as migrate } from './migrate';
import { command as rehearse } from './rehearse';
import { command as shadow } from './shadow';
import type { CliCommand } from './run';

/** Every `zdm` command, in the order `zdm --help` lists them. */
export const COMMANDS: CliCommand[] = [
  migrate,
  backfill,
  compare,
  shadow,
  generate,
  deploy,
  compat,
  rehearse,
];
