/**
 * What the toolkit logs through. The app passes its own logger (winston satisfies this shape);
 * the command line uses `createCliLogger`: plain lines on stderr, JSON lines in production, so
 * a command's stdout stays its result.
 */
import { PLAIN, styleFor, type Style } from './terminal';

export type LogLevel = 'error' | 'warn' | 'info' | 'http' | 'debug' | 'silent';

type LogMethod = (message: string, meta?: Record<string, unknown>) => unknown;

export interface Logger {
  error: LogMethod;
  warn: LogMethod;
  info: LogMethod;
  debug: LogMethod;
}

const RANK: Record<LogLevel, number> = {
  silent: -1,
  error: 0,
  warn: 1,
  info: 2,
  http: 3,
  debug: 4,
};

export interface CliLoggerOptions {
  level?: LogLevel;
  json?: boolean;
  write?: (line: string) => void;
  /** Colours of the level prefixes; default: those of stderr, plain for a custom `write`. */
  style?: Style;
}

export function createCliLogger(options: CliLoggerOptions = {}): Logger {
  const threshold = RANK[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const style = options.style ?? (options.write ? PLAIN : styleFor(process.stderr));
  const prefixes: Record<string, string> = {
    error: style.error('error: '),
    warn: style.warning('warn: '),
    info: '',
    debug: style.dim('debug: '),
  };
  const at =
    (level: Exclude<LogLevel, 'silent' | 'http'>): LogMethod =>
    (message, meta) => {
      if (RANK[level] > threshold) return;
      if (options.json) {
        write(JSON.stringify({ level, message, ...meta, timestamp: new Date().toISOString() }));
        return;
      }
      write(`${prefixes[level]}${message}`);
    };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

export const silentLogger: Logger = createCliLogger({ level: 'silent' });
