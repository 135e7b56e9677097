import http from 'node:http';
import cors from 'cors';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Sequelize } from 'sequelize';
import { z } from 'zod';
import type { Config } from './config';
import type { Logger } from './logger';
import { swaggerUi } from './http/docs';
import { errorHandler, notFound } from './http/error-handler';
import { healthResource } from './http/health';
import { Lifecycle } from './http/lifecycle';
import { AppMetrics } from './http/metrics';
import { openApiDocument, type OpenApiInfo } from './http/openapi';
import { installRequestContext } from './http/request-context';
import { defineRoute, mountResource, type ApiResource } from './http/routes';
import { registerRoutes, resources } from './routes';

export interface AppDependencies {
  config: Config;
  logger: Logger;
  sequelize: Sequelize;
  lifecycle?: Lifecycle;
  /** Made here when metrics are on and not given (server.ts gives them for METRICS_PORT). */
  metrics?: AppMetrics;
}

/** The Express app, without listening: the server and the tests (supertest) both use it. */
export function createApp({
  config,
  logger,
  sequelize,
  lifecycle = new Lifecycle(),
  metrics = config.metrics.enabled ? new AppMetrics({ sequelize, lifecycle }) : undefined,
}: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.env === 'production' ? 1 : false);
  app.set('query parser', 'simple');
  closeConnectionsWhileStopping(app, lifecycle);

  // Probes and scrapers come many per second and are no browsers: no browser headers, no CORS.
  const machine = [
    healthResource({ sequelize, lifecycle, version: config.version }),
    ...(metrics && config.metrics.port === undefined ? [metricsResource(metrics)] : []),
  ];
  const documentation = openApiResource([...machine, ...resources], {
    title: 'API',
    version: config.version.package,
    description: 'Every error answers with the one Error shape, which carries the X-Request-Id.',
  });
  const routerOptions = { bodyLimit: config.bodyLimit };

  installRequestContext(app, { logger, metrics, deadlineMs: config.http.deadlineMs });
  for (const resource of machine) mountResource(app, resource, routerOptions);
  if (config.env !== 'production') app.use('/docs', helmet(), swaggerUi(documentation.path));
  app.use(helmet(API_SECURITY_HEADERS));
  if (config.corsOrigins.length > 0) {
    app.use(cors({ origin: config.corsOrigins, exposedHeaders: ['X-Request-Id', 'Location'] }));
  }
  mountResource(app, documentation, routerOptions);
  registerRoutes(app, routerOptions);

  app.use(notFound());
  app.use(errorHandler({ logger, exposeInternals: config.env !== 'production' }));
  return app;
}

/**
 * The security headers of API responses: those the OWASP REST Security Cheat Sheet lists for
 * APIs. helmet's defaults (a dozen headers) are made for HTML pages and go to `/docs` only; on
 * a JSON response they do nothing but make every response about 600 bytes longer. A route
 * that answers data a browser must not keep sets `Cache-Control: no-store` itself.
 */
const API_SECURITY_HEADERS = {
  // A JSON response loads nothing and is never framed.
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  },
  strictTransportSecurity: true,
  xContentTypeOptions: true,
  xFrameOptions: { action: 'deny' },
  crossOriginOpenerPolicy: false,
  crossOriginResourcePolicy: false,
  originAgentCluster: false,
  referrerPolicy: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  // The app never sends X-Powered-By (`app.disable('x-powered-by')`): nothing to remove.
  xPoweredBy: false,
  xXssProtection: false,
} satisfies Parameters<typeof helmet>[0];

function metricsResource(metrics: AppMetrics): ApiResource {
  const route = defineRoute({
    method: 'get',
    path: '/',
    summary: 'Prometheus metrics (METRICS_ENABLED; on their own port with METRICS_PORT)',
    responses: {
      200: {
        description: 'The Prometheus text exposition format',
        schema: z.string(),
        contentType: 'text/plain; version=0.0.4',
      },
    },
    handle: async (_input, _req, res) => {
      const { contentType, body } = await metrics.exposition();
      res.set('Content-Type', contentType).send(body);
    },
  });
  return { path: '/metrics', tag: 'operations', routes: [route] };
}

/** GET /openapi.json, documented in itself; the document is made once, at start-up. */
function openApiResource(others: ApiResource[], info: OpenApiInfo): ApiResource {
  const resource: ApiResource = {
    path: '/openapi.json',
    tag: 'operations',
    routes: [
      defineRoute({
        method: 'get',
        path: '/',
        summary: 'This document: OpenAPI 3.1, made from the routes and their zod schemas',
        responses: {
          200: { description: 'The OpenAPI document', schema: z.record(z.string(), z.unknown()) },
        },
        handle: (_input, _req, res) => {
          res.json(document);
        },
      }),
    ],
  };
  const document = openApiDocument([resource, ...others], info);
  return resource;
}

/**
 * During shutdown every response asks the client to close its keep-alive socket, so clients
 * move to other instances after their current request instead of meeting a closed socket.
 * Decided when the headers are written, so requests already in flight get it too. Installed on
 * the app's response prototype when shutdown begins: until then a response costs nothing.
 */
function closeConnectionsWhileStopping(app: Express, lifecycle: Lifecycle): void {
  lifecycle.onShutdown(() => {
    const writeHead = http.ServerResponse.prototype.writeHead;
    app.response.writeHead = function (
      this: http.ServerResponse,
      ...args: Parameters<typeof writeHead>
    ) {
      if (!this.headersSent) this.setHeader('Connection', 'close');
      return writeHead.apply(this, args);
    } as typeof app.response.writeHead;
  });
}
