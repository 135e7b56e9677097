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
 * The resources an app serves: its `registerRoutes` is called with a stand-in app noting each
 * `app.use(path, router)`; a router mounted at `/order-items` serves the model of table
 * `order_items` (the generator's naming), with the operations its route stack has.
 */
export function resourcesOf(
  shapes: ModelShape[],
  registerRoutes: (app: never) => void,
): Resource[] {
  const resources: Resource[] = [];
  for (const [mountPath, router] of mountedRouters(registerRoutes)) {
    const shape = shapes.find((candidate) => servesTable(mountPath, candidate.table));
    const operations = operationsOf(router);
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

function mountedRouters(registerRoutes: (app: never) => void): [string, unknown][] {
  const mounted: [string, unknown][] = [];
  const recorder = new Proxy(
    {},
    {
      get: (_target, property) =>
        property === 'use'
          ? (mountPath: unknown, router: unknown) => {
              if (typeof mountPath === 'string') mounted.push([mountPath, router]);
            }
          : () => undefined,
    },
  );
  registerRoutes(recorder as never);
  return mounted;
}

function servesTable(mountPath: string, table: string): boolean {
  return mountPath.replace(/^\/+|\/+$/g, '').replace(/-/g, '_') === table;
}

function operationsOf(router: unknown): Operation[] {
  const stack = (router as { stack?: RouterLayer[] }).stack ?? [];
  const has = (routePath: string, method: string) =>
    stack.some((layer) => layer.route?.path === routePath && layer.route.methods[method]);
  const operations: Operation[] = [];
  if (has('/', 'get')) operations.push('list');
  if (has('/:id', 'get')) operations.push('read');
  if (has('/', 'post')) operations.push('create');
  if (has('/:id', 'patch')) operations.push('update');
  return operations;
}
