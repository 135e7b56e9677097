import fs from 'node:fs';
import path from 'node:path';
import type { Model, ModelStatic, Sequelize } from 'sequelize';
import { appContract } from '../core/config';
import { RehearsalError } from './errors';
import { describeModel, type ModelShape } from './shapes';

/**
 * The models and routes of a built release, read from its own compiled code (`dist/`) with its
 * own copy of Sequelize and Express: the base version is described as it really is, whatever
 * the current checkout changed.
 */
export type Operation = 'list' | 'read' | 'create' | 'update';

export interface Resource {
  /** Where the route module is mounted, e.g. `/users`. */
  path: string;
  shape: ModelShape;
  operations: Operation[];
}

export interface ReleaseApp {
  shapes: ModelShape[];
  resources: Resource[];
}

interface ModelsModule {
  initModels?: (sequelize: Sequelize) => void;
}

interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** The release's models and routes, where its app contract (package.json) says they are. */
export async function describeReleaseApp(releaseDir: string): Promise<ReleaseApp> {
  const { models, routes } = appContract(releaseDir);
  const shapes = await describeModels(compiled(releaseDir, models.module), models.export);
  const registerRoutes = loadRegisterRoutes(compiled(releaseDir, routes.module), routes.export);
  return { shapes, resources: resourcesOf(shapes, registerRoutes) };
}

/**
 * The resources an app serves: its `registerRoutes` is called with a stand-in app noting what
 * it mounts, in either of Express's ways. A router mounted at `/order-items`
 * (`app.use('/order-items', router)`) serves the model of table `order_items` (the generator's
 * naming), with the operations its route stack has. Routes mounted on the app itself
 * (`app.route('/order-items/:id').get(...)` or `app.get('/order-items', ...)`) are grouped by
 * resource: a pattern ending in `/:id` belongs to the path before it.
 */
export function resourcesOf(
  shapes: ModelShape[],
  registerRoutes: (app: never) => void,
): Resource[] {
  const resources: Resource[] = [];
  for (const [mountPath, routes] of mountedRoutes(registerRoutes)) {
    const shape = shapes.find((candidate) => servesTable(mountPath, candidate.table));
    const operations = operationsOf(routes);
    if (shape && operations.length > 0) resources.push({ path: mountPath, shape, operations });
  }
  return resources;
}

function compiled(releaseDir: string, file: string): string {
  const full = path.join(releaseDir, file);
  if (!fs.existsSync(full)) {
    throw new RehearsalError(
      'REHEARSAL_BASE_UNSUPPORTED',
      `${full} is missing: the release's build did not produce it, so its models and routes ` +
        'cannot be read (check zeroDowntime.models / zeroDowntime.routes in its package.json).',
    );
  }
  return full;
}

async function describeModels(modelsFile: string, exportName: string): Promise<ModelShape[]> {
  const { Sequelize: ReleaseSequelize } = require(
    require.resolve('sequelize', { paths: [path.dirname(modelsFile)] }),
  ) as typeof import('sequelize');
  // Never connects: initialising models only builds their description.
  const sequelize = new ReleaseSequelize('postgres://rehearsal@127.0.0.1:1/unused', {
    dialect: 'postgres',
    logging: false,
  });
  try {
    const loaded = require(modelsFile) as Record<string, unknown> & ModelsModule;
    const models = Object.values(loaded[exportName] ?? {}) as ModelStatic<Model>[];
    if (models.length === 0) {
      throw new RehearsalError(
        'REHEARSAL_BASE_UNSUPPORTED',
        `${modelsFile} exports no models as "${exportName}" (zeroDowntime.models.export)`,
      );
    }
    if (loaded.initModels) loaded.initModels(sequelize);
    else
      for (const model of models)
        (model as unknown as { initialize(s: Sequelize): void }).initialize(sequelize);
    return models.map(describeModel);
  } finally {
    await sequelize.close();
  }
}

function loadRegisterRoutes(routesFile: string, exportName: string): (app: never) => void {
  const registerRoutes = (require(routesFile) as Record<string, unknown>)[exportName];
  if (typeof registerRoutes !== 'function') {
    throw new RehearsalError(
      'REHEARSAL_BASE_UNSUPPORTED',
      `${routesFile} does not export ${exportName}(app) (zeroDowntime.routes.export): the ` +
        'rehearsal finds the resources through it.',
    );
  }
  return registerRoutes as (app: never) => void;
}

/** A route of a resource: its path under the resource (`/`, `/:id`) and a method it answers. */
interface MountedRoute {
  path: string;
  method: string;
}

const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

/** What `registerRoutes` mounts, by resource path, in the order it mounts them. */
function mountedRoutes(registerRoutes: (app: never) => void): Map<string, MountedRoute[]> {
  const byResource = new Map<string, MountedRoute[]>();
  const add = (resource: string, route: MountedRoute) => {
    const routes = byResource.get(resource);
    if (routes) routes.push(route);
    else byResource.set(resource, [route]);
  };
  const addPattern = (pattern: string, method: string) => {
    const item = /^(.+)(\/:id)$/.exec(pattern);
    add(item ? item[1] : pattern, { path: item ? item[2] : '/', method });
  };
  /** `app.route(pattern)`: each method called on it is a route of that pattern. */
  const routeRecorder = (pattern: string): object => {
    const chain: object = new Proxy(
      {},
      {
        get: (target, property) =>
          typeof property === 'string' && METHODS.has(property)
            ? () => {
                addPattern(pattern, property);
                return chain;
              }
            : Reflect.get(target, property),
      },
    );
    return chain;
  };
  const recorder = new Proxy(
    {},
    {
      get: (_target, property) => {
        if (property === 'use') {
          return (mountPath: unknown, router: unknown) => {
            if (typeof mountPath === 'string') {
              for (const route of routesOfRouter(router)) add(mountPath, route);
            }
          };
        }
        if (property === 'route') return (pattern: unknown) => routeRecorder(String(pattern));
        if (typeof property === 'string' && METHODS.has(property)) {
          // `app.get('setting')` reads a setting; with handlers it mounts a route.
          return (pattern: unknown, ...handlers: unknown[]) => {
            if (typeof pattern === 'string' && handlers.length > 0) addPattern(pattern, property);
          };
        }
        return () => undefined;
      },
    },
  );
  registerRoutes(recorder as never);
  return byResource;
}

function routesOfRouter(router: unknown): MountedRoute[] {
  const stack = (router as { stack?: RouterLayer[] }).stack ?? [];
  return stack.flatMap(({ route }) =>
    route
      ? Object.keys(route.methods)
          .filter((method) => route.methods[method])
          .map((method) => ({ path: route.path, method }))
      : [],
  );
}

function servesTable(mountPath: string, table: string): boolean {
  return mountPath.replace(/^\/+|\/+$/g, '').replace(/-/g, '_') === table;
}

function operationsOf(routes: MountedRoute[]): Operation[] {
  const has = (routePath: string, method: string) =>
    routes.some((route) => route.path === routePath && route.method === method);
  const operations: Operation[] = [];
  if (has('/', 'get')) operations.push('list');
  if (has('/:id', 'get')) operations.push('read');
  if (has('/', 'post')) operations.push('create');
  if (has('/:id', 'patch')) operations.push('update');
  return operations;
}
