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
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT', /whole number/],
    [{ PORT: '70000' }, 'PORT', /at most 65535/],
    [{ DATABASE_URL: 'not-a-url' }, 'DATABASE_URL', /postgres:\/\//],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV', /invalid/],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /invalid/],
    [{ BODY_LIMIT: 'lots' }, 'BODY_LIMIT', /size such as 100kb/],
    [{ MIGRATION_LOCK_TIMEOUT_MS: '0' }, 'MIGRATION_LOCK_TIMEOUT_MS', /at least 1/],
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
