import fs from 'node:fs';
import path from 'node:path';
import { runDeploy, silentReporter, type DeployOptions } from '../../src/deploy';
import { starterRoot } from '../support/project';
import { tempDir } from './support/fixture';

function options(root: string, extra: Partial<DeployOptions> = {}): DeployOptions {
  return {
    target: 'local',
    root,
    source: starterRoot,
    ref: 'HEAD',
    appName: 'zdm-preflight',
    readyTimeoutMs: 60_000,
    readyPath: '/health/ready',
    port: 3000,
    lockWaitMs: 0,
    databaseLock: false,
    keepReleases: 5,
    env: {},
    ssh: { hosts: [], remoteRoot: 'app', command: 'ssh', node: 'node' },
    ...extra,
  };
}

describe('what a deploy checks before it builds', () => {
  it('refuses at once, building and locking nothing, when migrations would run without DATABASE_URL', async () => {
    const root = tempDir('zdm-preflight-');
    try {
      await expect(runDeploy(options(root), silentReporter)).rejects.toMatchObject({
        code: 'DEPLOY_USAGE',
        message: expect.stringContaining('DATABASE_URL is not set'),
      });
      expect(fs.existsSync(path.join(root, 'releases'))).toBe(false);
      expect(fs.existsSync(path.join(root, 'deploy.lock'))).toBe(false);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('refuses at once, building nothing, when the PM2 that would run the instances is missing', async () => {
    const root = tempDir('zdm-preflight-');
    const pm2Bin = path.join(root, 'no-such-pm2');
    try {
      await expect(
        runDeploy(
          options(root, { databaseUrl: 'postgres://app@127.0.0.1:1/app', pm2Bin }),
          silentReporter,
        ),
      ).rejects.toMatchObject({
        code: 'DEPLOY_PREFLIGHT',
        message: expect.stringContaining(`the PM2 given (${pm2Bin}) does not exist`),
      });
      expect(fs.existsSync(path.join(root, 'releases'))).toBe(false);
      expect(fs.existsSync(path.join(root, 'deploy.lock'))).toBe(false);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('lets steps that need no database run without it (a rollout alone)', async () => {
    const root = tempDir('zdm-preflight-');
    try {
      const refusal = runDeploy(
        options(root, { from: 'rollout', only: ['rollout'] }),
        silentReporter,
      );
      // No earlier deploy is recorded here: the refusal is about the state, not the database.
      await expect(refusal).rejects.toMatchObject({ code: 'DEPLOY_NO_STATE' });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
