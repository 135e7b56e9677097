import { Router } from 'express';
import type { Sequelize } from 'sequelize';
import type { Config } from '../config';
import { isDatabaseReachable } from '../db/connection';
import type { Lifecycle } from './lifecycle';

/**
 * Liveness never touches the database: a database blip must not restart every instance.
 * Readiness does, and turns 503 as soon as shutdown begins. Both report the running version,
 * which the deploy pipeline reads to verify a rollout.
 */
export function healthRouter(deps: {
  sequelize: Sequelize;
  lifecycle: Lifecycle;
  version: Config['version'];
}): Router {
  const router = Router();
  const version = { version: deps.version.package, commit: deps.version.commit ?? null };

  router.get('/live', (_req, res) => {
    res.json({ status: 'ok', ...version, pid: process.pid });
  });

  router.get('/ready', async (_req, res) => {
    const checks = { shuttingDown: deps.lifecycle.shuttingDown, database: 'skipped' };
    if (!checks.shuttingDown) {
      checks.database = (await isDatabaseReachable(deps.sequelize)) ? 'ok' : 'unreachable';
    }
    const ready = !checks.shuttingDown && checks.database === 'ok';
    res
      .status(ready ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({ status: ready ? 'ready' : 'not ready', ...version, pid: process.pid, checks });
  });

  return router;
}
