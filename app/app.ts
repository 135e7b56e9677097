import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Sequelize } from 'sequelize';
import type { Config } from './config';
import type { Logger } from './logger';
import { errorHandler, notFound } from './http/error-handler';
import { healthRouter } from './http/health';
import { Lifecycle } from './http/lifecycle';
import { requestId, requestLog } from './http/request-context';
import { registerRoutes } from './routes';

export interface AppDependencies {
  config: Config;
  logger: Logger;
  sequelize: Sequelize;
  lifecycle?: Lifecycle;
}

/** The Express app, without listening: the server and the tests (supertest) both use it. */
export function createApp({
  config,
  logger,
  sequelize,
  lifecycle = new Lifecycle(),
}: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.env === 'production' ? 1 : false);
  app.set('query parser', 'simple');

  app.use(requestId());
  app.use(requestLog(logger));
  app.use(closeConnectionsWhileStopping(lifecycle));
  // Probes come from load balancers and orchestrators, many per second: no browser headers.
  app.use('/health', healthRouter({ sequelize, lifecycle, version: config.version }));
  app.use(helmet());
  app.use(express.json({ limit: config.bodyLimit }));

  registerRoutes(app);

  app.use(notFound());
  app.use(errorHandler({ logger, exposeInternals: config.env !== 'production' }));
  return app;
}

/**
 * During shutdown every response asks the client to close its keep-alive socket, so clients
 * move to other instances after their current request instead of meeting a closed socket.
 * Decided when the headers are written, so requests already in flight get it too.
 */
function closeConnectionsWhileStopping(lifecycle: Lifecycle): express.RequestHandler {
  return (_req, res, next) => {
    const writeHead = res.writeHead;
    res.writeHead = function (this: typeof res, ...args: Parameters<typeof writeHead>) {
      if (lifecycle.shuttingDown && !res.headersSent) res.setHeader('Connection', 'close');
      return writeHead.apply(this, args);
    } as typeof writeHead;
    next();
  };
}
