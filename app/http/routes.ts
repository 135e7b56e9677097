import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import { ApiError } from './api-error';
import { answeredByDeadline } from './request-context';
import { validate } from './validate';

/**
 * Routes described as data: the router (here) and the OpenAPI document (openapi.ts) are both
 * made from the same definitions, so the document cannot drift from what the app serves.
 */
export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** A response of the route's own: its description and, when it has a body, the body's schema. */
export interface RouteResponse {
  description: string;
  schema?: z.ZodType;
  /** `application/json` unless said otherwise. */
  contentType?: string;
}

/**
 * What a route's handler receives, read by destructuring (`{ params, query, body }`). Without a
 * query schema `query` is a getter, which an object spread (`{ ...input }`) does not copy.
 */
export interface RouteInput<Params, Query, Body> {
  params: Params;
  query: Query;
  body: Body;
}

export interface RouteDefinition<
  Params extends z.ZodType = z.ZodType,
  Query extends z.ZodType = z.ZodType,
  Body extends z.ZodType = z.ZodType,
> {
  method: Method;
  /** The Express pattern under the resource's path: `/`, `/:id`. */
  path: string;
  summary: string;
  params?: Params;
  query?: Query;
  /** A JSON body: other content types get 415, bad fields 400. */
  body?: Body;
  responses: Record<number, RouteResponse>;
  /**
   * Error statuses this route answers on purpose, with when. Validation (400), 415 and 413
   * for a body, 500 and 503 are documented for every route that can answer them.
   */
  errors?: Record<number, string>;
  handle(
    input: RouteInput<z.infer<Params>, z.infer<Query>, z.infer<Body>>,
    req: Request,
    res: Response,
  ): Promise<void> | void;
}

/** One route of the API, whatever its schemas. */
export type ApiRoute = RouteDefinition;

/** Keeps the schemas' types for `handle`; the result goes in a resource's list of routes. */
export function defineRoute<
  Params extends z.ZodType = z.ZodType,
  Query extends z.ZodType = z.ZodType,
  Body extends z.ZodType = z.ZodType,
>(route: RouteDefinition<Params, Query, Body>): ApiRoute {
  return route;
}

/** Routes mounted together under one path (`/users`), one Express router. */
export interface ApiResource {
  path: string;
  /** Groups its operations in the document. */
  tag: string;
  routes: ApiRoute[];
}

/** A route with the whole pattern it answers, `/users/:id`: the metrics label. */
export interface MountedRoute extends ApiRoute {
  pattern: string;
  tag: string;
}

export function mountedRoutes(resources: ApiResource[]): MountedRoute[] {
  return resources.flatMap((resource) =>
    resource.routes.map((route) => ({
      ...route,
      tag: resource.tag,
      pattern: route.path === '/' ? resource.path : `${resource.path}${route.path}`,
    })),
  );
}

export interface RouterOptions {
  /** The largest JSON body (BODY_LIMIT); body-parser's 100kb when not given. */
  bodyLimit?: string;
}

/**
 * Mounts a resource's routes on the app itself, at their whole patterns (`/users/:id`), one
 * Express route per pattern with a handler per method. A router per resource
 * (`app.use('/users', router)`) would cost every request a second router: another path
 * match, prefix trim and dispatch loop, 1.5 % of `GET /users/:id` in a V8 profile; and a route
 * per method would be one more path match for each method before it. The rehearsal finds the
 * resources from these patterns (a pattern ending in `/:id` belongs to the path before it).
 */
export function mountResource(
  app: Express,
  resource: ApiResource,
  options: RouterOptions = {},
): void {
  const routes = new Map<string, ReturnType<Express['route']>>();
  for (const [route, handlers] of routeHandlers(resource, options)) {
    let mounted = routes.get(route.pattern);
    if (mounted === undefined) {
      mounted = app.route(route.pattern);
      routes.set(route.pattern, mounted);
    }
    mounted[route.method](...handlers);
  }
}

/**
 * Each route's handlers: its params, query and body are validated with its schemas before
 * `handle` runs.
 */
function routeHandlers(
  resource: ApiResource,
  options: RouterOptions,
): [MountedRoute, RequestHandler[]][] {
  const json = express.json({ limit: options.bodyLimit });
  return mountedRoutes([resource]).map((route) => {
    // Not async: a route whose handler answers at once costs no promise.
    const handle: RequestHandler = (req, res) => {
      const params = route.params ? validate(route.params, req.params, 'params') : req.params;
      const query = route.query ? validate(route.query, req.query, 'query') : undefined;
      const body = route.body ? validate(route.body, req.body, 'body') : undefined;
      const input = route.query
        ? { params, query, body }
        : new InputWithQueryAsSent(params, body, req);
      const answered = route.handle(input, req, res);
      return answered?.catch((error: unknown) => {
        // The deadline answered already: whatever the late handler does is dropped.
        if (!answeredByDeadline(res)) throw error;
      });
    };
    return [route, route.body ? [requireJson, json, handle] : [handle]];
  });
}

/**
 * The input of a route without a query schema: `query` is the query as sent, parsed only when
 * the handler reads it. Express parses the URL's query again on every read of `req.query`, and
 * most such routes never look at it. A class, so the getter is as fast as a field.
 */
class InputWithQueryAsSent {
  readonly #req: Request;

  constructor(
    readonly params: unknown,
    readonly body: unknown,
    req: Request,
  ) {
    this.#req = req;
  }

  get query(): unknown {
    return this.#req.query;
  }
}

/** A body sent as anything but JSON gets 415 (no body at all is validated as `{}`). */
const requireJson: RequestHandler = (req, _res, next) => {
  if (req.is('application/json') !== false) {
    next();
    return;
  }
  const type = req.get('content-type');
  next(
    new ApiError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `Send the body as JSON with Content-Type: application/json (this request ${type ? `sent ${type}` : 'named no Content-Type'}).`,
    ),
  );
};

/** `/users/:id` -> `/users/{id}`, OpenAPI's form of a path template. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}
