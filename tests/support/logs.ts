import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../app/logger';

/** The app's own logger at debug level, in production (JSON) format, writing into memory. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ env: 'production', logLevel: 'debug' }, stream), lines };
}

/** The environment that makes an app or CLI child log everything as JSON lines. */
export const DEBUG_LOG_ENV = { NODE_ENV: 'production', LOG_LEVEL: 'debug' };
