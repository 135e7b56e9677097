import { pascal } from 'zero-downtime-toolkit';
import { z } from 'zod';
import { errorBodySchema } from './api-error';
import { mountedRoutes, openApiPath, type ApiResource, type MountedRoute } from './routes';

/**
 * The OpenAPI 3.1 document of the API, made from the same route definitions the router is
 * made from (routes.ts), with zod 4's own JSON Schema output (OpenAPI 3.1 schemas are JSON
 * Schema 2020-12). Every error response has the one error shape (components.schemas.Error).
 */
type JsonObject = Record<string, unknown>;

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: OpenApiInfo;
  paths: Record<string, Record<string, JsonObject>>;
  components: { schemas: Record<string, JsonObject> };
}

const ERROR_REF = { $ref: '#/components/schemas/Error' };

/** Errors every route of its kind can answer, documented without each route repeating them. */
const IMPLIED_ERRORS = {
  input: { 400: 'The input is not acceptable (VALIDATION_FAILED); details name each field.' },
  body: {
    400: 'The body is not valid JSON (MALFORMED_JSON), or a field is not acceptable (VALIDATION_FAILED).',
    413: 'The body is larger than BODY_LIMIT (PAYLOAD_TOO_LARGE).',
    415: 'The body is not sent as application/json (UNSUPPORTED_MEDIA_TYPE).',
  },
  all: {
    500: 'A bug on the server side (INTERNAL_ERROR); the message hides internals in production.',
    503: 'Not answered within REQUEST_DEADLINE_MS (DEADLINE_EXCEEDED), or the database is unavailable (SERVICE_UNAVAILABLE) or too slow (DATABASE_TIMEOUT); retry shortly.',
  },
};

export function openApiDocument(resources: ApiResource[], info: OpenApiInfo): OpenApiDocument {
  const schemas: Record<string, JsonObject> = {};
  schemas.Error = toJsonSchema(errorBodySchema, 'Error', schemas);
  const paths: OpenApiDocument['paths'] = {};
  const operationIds = new Set<string>();
  for (const route of mountedRoutes(resources)) {
    const operationId = operationIdOf(route);
    if (operationIds.has(operationId)) {
      throw new Error(`Two routes are ${route.method.toUpperCase()} ${route.pattern}: keep one.`);
    }
    operationIds.add(operationId);
    (paths[openApiPath(route.pattern)] ??= {})[route.method] = operation(
      route,
      operationId,
      schemas,
    );
  }
  return { openapi: '3.1.0', info, paths, components: { schemas } };
}

function operation(
  route: MountedRoute,
  operationId: string,
  schemas: Record<string, JsonObject>,
): JsonObject {
  const responses: Record<string, JsonObject> = {};
  for (const [status, response] of Object.entries(route.responses)) {
    const contentType = response.contentType ?? 'application/json';
    responses[status] = {
      description: response.description,
      ...(response.schema && {
        content: {
          [contentType]: {
            schema: toJsonSchema(response.schema, `${operationId}_${status}`, schemas),
          },
        },
      }),
    };
  }
  const errors: Record<string, string> = {
    ...IMPLIED_ERRORS.all,
    ...(route.params || route.query ? IMPLIED_ERRORS.input : {}),
    ...(route.body ? IMPLIED_ERRORS.body : {}),
    ...route.errors,
  };
  for (const [status, description] of Object.entries(errors)) {
    responses[status] ??= { description, content: { 'application/json': { schema: ERROR_REF } } };
  }
  return {
    operationId,
    tags: [route.tag],
    summary: route.summary,
    parameters: [
      ...parameters(route.pattern, route.params, 'path', operationId, schemas),
      ...parameters(route.pattern, route.query, 'query', operationId, schemas),
    ],
    ...(route.body && {
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: toJsonSchema(route.body, `${operationId}_body`, schemas),
          },
        },
      },
    }),
    responses,
  };
}

/** One parameter per property of the params or query schema; every path parameter is listed. */
function parameters(
  path: string,
  schema: z.ZodType | undefined,
  where: 'path' | 'query',
  operationId: string,
  schemas: Record<string, JsonObject>,
): JsonObject[] {
  const json = schema ? toJsonSchema(schema, `${operationId}_${where}`, schemas) : {};
  const properties = (json.properties ?? {}) as Record<string, JsonObject>;
  const required = new Set((json.required ?? []) as string[]);
  if (where === 'path') {
    for (const [, name] of path.matchAll(/:([A-Za-z0-9_]+)/g)) {
      properties[name] ??= { type: 'string' };
      required.add(name);
    }
  }
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: required.has(name),
    ...(typeof property.description === 'string' && { description: property.description }),
    schema: property,
  }));
}

/**
 * zod's JSON Schema of input as a client sends it. Definitions zod puts in `$defs` (recursive
 * types such as z.json()) move to components.schemas, where a `$ref` inside the document
 * finds them.
 */
function toJsonSchema(
  schema: z.ZodType,
  name: string,
  schemas: Record<string, JsonObject>,
): JsonObject {
  const converted = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonObject;
  delete converted.$schema;
  if (!converted.$defs) return converted;
  const moved = JSON.parse(
    JSON.stringify(converted).replace(
      /"#\/\$defs\/([^"]+)"/g,
      (_ref, def: string) => `"#/components/schemas/${name}_${def.replace(/^_+/, '')}"`,
    ),
  ) as JsonObject & { $defs: Record<string, JsonObject> };
  for (const [def, value] of Object.entries(moved.$defs)) {
    schemas[`${name}_${def.replace(/^_+/, '')}`] = value;
  }
  delete (moved as JsonObject).$defs;
  return moved;
}

/** `GET /users/:id` -> `getUsersById`. */
function operationIdOf(route: MountedRoute): string {
  const words = route.pattern
    .split('/')
    .filter(Boolean)
    .map((segment) => pascal(segment.startsWith(':') ? `by-${segment.slice(1)}` : segment));
  return `${route.method}${words.join('').replace(/[^A-Za-z0-9]/g, '')}`;
}
