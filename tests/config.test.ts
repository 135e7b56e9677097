import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ConfigError, loadConfig } from '../app/config';

const root = path.resolve(__dirname, '..');

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('configuration', () => {
  it('has working defaults for a fresh clone', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      port: 3000,
      databaseUrl: undefined,
      bodyLimit: '100kb',
    });
    expect(config.shutdown.headersTimeoutMs).toBeGreaterThan(config.shutdown.keepAliveTimeoutMs);
    expect(config.migrations.lockTimeoutMs).toBe(1000);
    expect(config).toMatchObject({
      corsOrigins: [],
      metrics: { enabled: true, port: undefined },
      databaseStatementTimeoutMs: 10_000,
      http: { requestTimeoutMs: 120_000, deadlineMs: 15_000 },
    });
  });

  it('reads the CORS origins, the metrics switch and port, and the timeouts', () => {
    const config = loadConfig({
      CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
      METRICS_ENABLED: 'false',
      METRICS_PORT: '9464',
      REQUEST_TIMEOUT_MS: '90000',
      REQUEST_DEADLINE_MS: '0',
      DATABASE_STATEMENT_TIMEOUT_MS: '2500',
    });
    expect(config).toMatchObject({
      corsOrigins: ['https://app.example.com', 'http://localhost:5173'],
      metrics: { enabled: false, port: 9464 },
      databaseStatementTimeoutMs: 2500,
      http: { requestTimeoutMs: 90_000, deadlineMs: 0 },
    });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT', /whole number/],
    [{ PORT: '70000' }, 'PORT', /at most 65535/],
    [{ DATABASE_URL: 'not-a-url' }, 'DATABASE_URL', /postgres:\/\//],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV', /invalid/],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /invalid/],
    [{ BODY_LIMIT: 'lots' }, 'BODY_LIMIT', /size such as 100kb/],
    [{ MIGRATION_LOCK_TIMEOUT_MS: '0' }, 'MIGRATION_LOCK_TIMEOUT_MS', /at least 1/],
    [{ CORS_ORIGINS: 'app.example.com' }, 'CORS_ORIGINS', /comma list of origins/],
    [{ CORS_ORIGINS: 'https://app.example.com/path' }, 'CORS_ORIGINS', /no path/],
    [{ METRICS_ENABLED: 'yes' }, 'METRICS_ENABLED', /true or false/],
    [{ METRICS_PORT: '3000' }, 'METRICS_PORT', /the API's PORT/],
    [{ REQUEST_DEADLINE_MS: '-1' }, 'REQUEST_DEADLINE_MS', /at least 0/],
    [{ REQUEST_TIMEOUT_MS: '5000' }, 'REQUEST_TIMEOUT_MS', /below the headers timeout/],
    [{ DATABASE_STATEMENT_TIMEOUT_MS: 'soon' }, 'DATABASE_STATEMENT_TIMEOUT_MS', /whole number/],
  ])('rejects %j naming the variable and an example', (env, variable, problem) => {
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable} `)).toBe(true);
    expect(error.message).toMatch(problem);
    expect(error.message).toContain(`for example ${variable}=`);
  });

  it('requires DATABASE_URL in production', () => {
    expect(configError({ NODE_ENV: 'production' }).variable).toBe('DATABASE_URL');
  });

  it('never prints the password of a bad DATABASE_URL', () => {
    const error = configError({ DATABASE_URL: 'mysql://app:hunter2@db/app' });
    expect(error.message).not.toContain('hunter2');
  });

  it('stops start-up with exit code 1 and one line naming the variable', () => {
    const result = spawnSync(
      process.execPath,
      [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'app/server.ts'],
      {
        cwd: root,
        env: { ...process.env, DATABASE_URL: 'not-a-url', NODE_ENV: 'development' },
        encoding: 'utf8',
      },
    );
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Configuration error: DATABASE_URL is invalid: "not-a-url"/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
