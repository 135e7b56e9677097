import { createCliLogger, type Logger } from '../../../src/core/logger';

/** The command line's logger at debug level, in production (JSON) format, writing into memory. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createCliLogger({ level: 'debug', json: true, write: (line) => lines.push(line) });
  return { logger, lines };
}

/** The environment that makes an app or CLI child log everything as JSON lines. */
export const DEBUG_LOG_ENV = { NODE_ENV: 'production', LOG_LEVEL: 'debug' };
