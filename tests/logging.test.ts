import { PassThrough } from 'node:stream';
import request from 'supertest';
import type { LogLevel } from '../app/config';
import { createLogger, redact, wantsColour } from '../app/logger';
import { wantsColour as toolkitWantsColour } from 'zero-downtime-toolkit';
import { createTestApp } from './support/app';

function capturingLogger(
  env: 'production' | 'development' = 'production',
  logLevel: LogLevel = 'debug',
) {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  return { logger: createLogger({ env, logLevel }, stream), lines };
}

describe('secrets never reach a log line', () => {
  it.each(['production', 'development'] as const)(
    '%s format redacts secret fields, URL passwords and bearer tokens',
    async (env) => {
      const { logger, lines } = capturingLogger(env);
      logger.info('connecting to postgres://app:s3cr3t-pw@db:5432/app', {
        password: 'p4ssw0rd',
        headers: { authorization: 'Bearer abc.def.ghi', accept: 'json' },
        nested: { apiToken: 'tok-123', note: 'Authorization: Bearer zzz999' },
        error: new Error('failed for postgres://u:leaked@h/db'),
      });
      await new Promise((resolve) => setImmediate(resolve));
      const output = lines.join('\n');
      for (const secret of [
        's3cr3t-pw',
        'p4ssw0rd',
        'abc.def.ghi',
        'tok-123',
        'zzz999',
        'leaked',
      ]) {
        expect(output).not.toContain(secret);
      }
      expect(output).toContain('postgres://app:***@db:5432/app');
      expect(output).toContain('accept');
    },
  );

  it('production lines are JSON', async () => {
    const { logger, lines } = capturingLogger('production');
    logger.info('hello', { answer: 42 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'info', message: 'hello', answer: 42 });
  });

  it('redact leaves harmless values alone', () => {
    expect(redact({ user: 'ada', count: 3, list: ['a'] })).toEqual({
      user: 'ada',
      count: 3,
      list: ['a'],
    });
  });
});

describe('log levels', () => {
  it('writes only the enabled levels, and follows a level changed at run time', async () => {
    const { logger, lines } = capturingLogger('production', 'warn');
    logger.debug('hidden');
    logger.log('http', 'hidden too', { at: 'first' });
    logger.warn('shown');
    expect([logger.isLevelEnabled('debug'), logger.isLevelEnabled('warn')]).toEqual([false, true]);

    logger.level = 'debug';
    logger.debug('now shown');
    logger.level = 'error';
    logger.warn('hidden again');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map((line) => JSON.parse(line).message)).toEqual(['shown', 'now shown']);
  });
});

describe('request logging', () => {
  it('logs every request once with method, path, status, duration and request id, without secrets', async () => {
    const { logger, lines } = capturingLogger('production');
    const t = await createTestApp({}, logger);
    try {
      await request(t.app)
        .get('/users?limit=2&access_token=qwerty987')
        .set('Authorization', 'Bearer supersecret')
        .set('X-Request-Id', 'req-42')
        .expect(200);
      await new Promise((resolve) => setImmediate(resolve));
      const entries = lines.map((line) => JSON.parse(line)).filter((e) => e.requestId === 'req-42');
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ method: 'GET', status: 200, requestId: 'req-42' });
      expect(typeof entries[0].durationMs).toBe('number');
      expect(entries[0].path).toContain('/users?limit=2');
      const output = lines.join('\n');
      expect(output).not.toContain('qwerty987');
      expect(output).not.toContain('supersecret');
    } finally {
      await t.close();
    }
  });
});

describe('colour in the development format', () => {
  const ANSI = new RegExp(String.fromCharCode(27) + '\\[');

  it('writes no escape codes to a pipe or file', async () => {
    const { logger, lines } = capturingLogger('development');
    logger.warn('plain please');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.join('\n')).toContain('warn plain please');
    expect(lines.join('\n')).not.toMatch(ANSI);
  });

  it('colours a terminal unless NO_COLOR is set; FORCE_COLOR colours a pipe', () => {
    const terminal = Object.assign(new PassThrough(), { isTTY: true });
    const pipe = new PassThrough();
    expect(wantsColour(terminal, {})).toBe(true);
    expect(wantsColour(terminal, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColour(pipe, {})).toBe(false);
    expect(wantsColour(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(wantsColour(terminal, { FORCE_COLOR: '0' })).toBe(false);
  });

  it("decides as the toolkit's commands do, for every stream and setting", () => {
    const streams = [Object.assign(new PassThrough(), { isTTY: true }), new PassThrough()];
    const values = [undefined, '', '0', '1'];
    for (const stream of streams) {
      for (const NO_COLOR of values) {
        for (const FORCE_COLOR of values) {
          const env = { NO_COLOR, FORCE_COLOR };
          expect([env, wantsColour(stream, env)]).toEqual([env, toolkitWantsColour(stream, env)]);
        }
      }
    }
  });
});
