import winston from 'winston';
import type { Config } from './config';

/**
 * JSON lines in production, readable colour lines in development, silent in tests unless
 * LOG_LEVEL says otherwise. Secrets are redacted from every line, whatever its shape.
 */

export type Logger = winston.Logger;

const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|api[-_]?key|credential/i;
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)[^@\s]+@/gi;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g;
const SECRET_QUERY = /([?&][^=&\s]*(?:pass(?:word)?|secret|token|api[-_]?key)[^=&\s]*=)[^&\s]*/gi;

/** Deep copy of a log value with secret-named fields masked and URL passwords removed. */
export function redact(value: unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (value instanceof Error) {
    return {
      name: value.name,
      message: redactString(value.message),
      stack: redactString(value.stack ?? ''),
    };
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, seen));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] =
      SECRET_KEY.test(key) && item !== undefined && item !== null
        ? '[REDACTED]'
        : redact(item, seen);
  }
  return copy;
}

export function redactString(text: string): string {
  return text
    .replace(URL_PASSWORD, '$1***@')
    .replace(BEARER, '$1 [REDACTED]')
    .replace(SECRET_QUERY, '$1[REDACTED]');
}

const redactFormat = winston.format((info) => {
  const clean = redact({ ...info }) as Record<string | symbol, unknown>;
  for (const key of Object.keys(info)) delete (info as Record<string, unknown>)[key];
  Object.assign(info, clean);
  return info;
});

export function createLogger(
  config: Pick<Config, 'env' | 'logLevel'>,
  stream?: NodeJS.WritableStream,
): Logger {
  const format =
    config.env === 'production'
      ? winston.format.combine(redactFormat(), winston.format.timestamp(), winston.format.json())
      : winston.format.combine(
          redactFormat(),
          winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
          ...(wantsColour(stream ?? process.stdout) ? [winston.format.colorize()] : []),
          winston.format.printf(({ timestamp, level, message, ...meta }) => {
            const extra = Object.keys(meta).length ? ` ${JSON.stringify(meta)}` : '';
            return `${String(timestamp)} ${level} ${String(message)}${extra}`;
          }),
        );
  const transport = stream
    ? new winston.transports.Stream({ stream })
    : new winston.transports.Console({ stderrLevels: ['error', 'warn'] });
  return skipDisabledLevels(
    winston.createLogger({
      level: config.logLevel === 'silent' ? 'error' : config.logLevel,
      silent: config.logLevel === 'silent',
      format,
      transports: [transport],
    }),
  );
}

/**
 * Winston formats (and redacts) a line before its transports filter it by level, so a
 * `logger.debug` at LOG_LEVEL=info costs as much as a written line. Each level method here
 * (and `log` with a level) returns at once when its level is off.
 */
function skipDisabledLevels(logger: Logger): Logger {
  rememberEnabledLevels(logger);
  const methods = logger as unknown as Record<string, winston.LeveledLogMethod>;
  for (const level of Object.keys(logger.levels)) {
    const write = methods[level];
    methods[level] = ((...args: Parameters<winston.LeveledLogMethod>) =>
      logger.isLevelEnabled(level)
        ? write.apply(logger, args)
        : logger) as winston.LeveledLogMethod;
  }
  // logger.log(level, message, meta) too; an info object (one argument) goes through as is.
  const log = logger.log;
  logger.log = ((...args: Parameters<winston.LogMethod>) =>
    typeof args[0] === 'string' && args.length > 1 && !logger.isLevelEnabled(args[0])
      ? logger
      : log.apply(logger, args)) as winston.LogMethod;
  return logger;
}

/**
 * Winston's `isLevelEnabled` walks the transports on every call, and the request log asks on
 * every request; the answer is kept until `logger.level` changes (set the level there, not on
 * a transport, to change it at run time).
 */
function rememberEnabledLevels(logger: Logger): void {
  const decide = logger.isLevelEnabled.bind(logger);
  const enabled = new Map<string, boolean>();
  let decidedFor = logger.level;
  logger.isLevelEnabled = (level: string): boolean => {
    if (logger.level !== decidedFor) {
      enabled.clear();
      decidedFor = logger.level;
    }
    let answer = enabled.get(level);
    if (answer === undefined) enabled.set(level, (answer = decide(level)));
    return answer;
  };
}

/** Colour only on a terminal; NO_COLOR (https://no-color.org) turns it off, FORCE_COLOR on. */
export function wantsColour(
  stream: NodeJS.WritableStream,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR) return env.FORCE_COLOR !== '0';
  return (stream as { isTTY?: boolean }).isTTY === true;
}
