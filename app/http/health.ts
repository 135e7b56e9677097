import type { Sequelize } from 'sequelize';
import { z } from 'zod';
import type { Config } from '../config';
import { isDatabaseReachable } from '../db/connection';
import type { Lifecycle } from './lifecycle';
import { defineRoute, type ApiResource } from './routes';

const versionShape = {
  version: z.string().meta({ description: 'The package version', example: '0.1.0' }),
  commit: z.string().nullable().meta({ description: 'The deployed commit, when known' }),
  pid: z.number().int(),
};
const liveBody = z.object({ status: z.literal('ok'), ...versionShape });
const readyBody = z.object({
  status: z.enum(['ready', 'not ready']),
  ...versionShape,
  checks: z.object({
    shuttingDown: z.boolean(),
    database: z.enum(['ok', 'unreachable', 'skipped']),
  }),
});

/**
 * Liveness never touches the database: a database blip must not restart every instance.
 * Readiness does, and turns 503 as soon as shutdown begins. Both report the running version,
 * which the deploy pipeline reads to verify a rollout.
 */
export function healthResource(deps: {
  sequelize: Sequelize;
  lifecycle: Lifecycle;
  version: Config['version'];
}): ApiResource {
  const version = { version: deps.version.package, commit: deps.version.commit ?? null };
  // The same answer for the life of the process: made once, not on each probe.
  const live = { status: 'ok', ...version, pid: process.pid } as const;
  const routes = [
    defineRoute({
      method: 'get',
      path: '/live',
      summary: 'Liveness: the process answers (never checks the database)',
      responses: { 200: { description: 'The process is alive', schema: liveBody } },
      handle: (_input, _req, res) => {
        res.json(live);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/ready',
      summary: 'Readiness: the database answers and the instance is not shutting down',
      responses: {
        200: { description: 'Ready for traffic', schema: readyBody },
        503: { description: 'Shutting down or the database is unreachable', schema: readyBody },
      },
      handle: async (_input, _req, res) => {
        const checks = { shuttingDown: deps.lifecycle.shuttingDown, database: 'skipped' };
        if (!checks.shuttingDown) {
          checks.database = (await isDatabaseReachable(deps.sequelize)) ? 'ok' : 'unreachable';
        }
        const ready = !checks.shuttingDown && checks.database === 'ok';
        res
          .status(ready ? 200 : 503)
          .set('Cache-Control', 'no-store')
          .json({ status: ready ? 'ready' : 'not ready', ...version, pid: process.pid, checks });
      },
    }),
  ];
  return { path: '/health', tag: 'health', routes };
}
