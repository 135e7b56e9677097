import type { ToolkitConfig } from '../core/config';
import { createCliLogger, type Logger } from '../core/logger';
import type { ProgressDisplay } from '../core/progress';

/**
 * The logger of a command showing a progress display: on stdout with the display, each line
 * clearing the bar first instead of being appended to it (the next progress redraws it).
 * Info is shown even under NODE_ENV=test: these commands are watched.
 */
export function loggerAbove<Progress>(
  display: ProgressDisplay<Progress>,
  config: ToolkitConfig,
): Logger {
  return createCliLogger({
    level: config.logLevel === 'silent' ? 'info' : config.logLevel,
    json: config.env === 'production',
    write: (line) => {
      display.interrupt();
      process.stdout.write(`${line}\n`);
    },
  });
}
