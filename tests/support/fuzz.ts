import type { Express } from 'express';

/**
 * A seeded generator of malformed and hostile HTTP requests, aimed at the routes the Express
 * app really has (read from its router stack, so generated resources are fuzzed too). The
 * same seed gives the same requests: a failure prints its seed, `FUZZ_SEED=<seed>` replays it.
 */

export type Random = ReturnType<typeof createRandom>;

/** mulberry32: tiny, fast, and good enough to pick test inputs. */
export function createRandom(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (below: number): number => Math.floor(next() * below);
  return {
    seed,
    next,
    int,
    chance: (probability: number): boolean => next() < probability,
    pick: <T>(items: readonly T[]): T => items[int(items.length)],
  };
}

export function fuzzSeed(): number {
  const given = process.env.FUZZ_SEED;
  return given ? Number(given) : Math.floor(Math.random() * 2 ** 31);
}

export interface Route {
  method: string;
  /** Express path with its parameters, e.g. `/users/:id`. */
  path: string;
}

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: string | RegExp | (string | RegExp)[];
}

/** Every method and path the app routes, found by walking the routers it mounted. */
export function discoverRoutes(app: Express): Route[] {
  const router = (app as unknown as { router: { stack: Layer[] } }).router;
  return walk(router.stack, '');
}

function walk(stack: Layer[], prefix: string): Route[] {
  const routes: Route[] = [];
  for (const layer of stack) {
    if (layer.route) {
      const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      for (const path of paths) {
        for (const method of Object.keys(layer.route.methods)) {
          if (method === '_all') continue;
          routes.push({ method: method.toUpperCase(), path: join(prefix, path) });
        }
      }
    } else if (layer.handle?.stack) {
      const mount = typeof layer.rawPath === 'string' ? layer.rawPath : '';
      routes.push(...walk(layer.handle.stack, join(prefix, mount)));
    }
  }
  return routes;
}

function join(prefix: string, path: string): string {
  const joined = `${prefix}/${path}`.replace(/\/+/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

export interface FuzzRequest {
  /** The route aimed at (the method or path may have been twisted away from it). */
  route: Route;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Sent byte by byte on a raw socket: things Node's HTTP client refuses to send. */
  raw: boolean;
  /** What was done to it, for the failure report. */
  label: string;
}

const ODD_METHODS = ['PUT', 'OPTIONS', 'HEAD', 'TRACE', 'PURGE', 'PROPFIND', 'SEARCH', 'LINK'];

const LONE_SURROGATES = ['\ud800', '\udfff', 'a\ud83dz', '\udc00\ud800'];

const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u0000'.repeat(50),
  ...LONE_SURROGATES,
  '\uffff\ufffe',
  '\u202e\u0041\u0301\u200b',
  '👩‍👩‍👧‍👦'.repeat(20),
  "' OR '1'='1",
  "'; DROP TABLE users; --",
  '1; SELECT pg_sleep(10)',
  '$1',
  '\\x00\\',
  '%00',
  '../../../../etc/passwd',
  '<script>alert(1)</script>',
  '{{7*7}}${7*7}',
  '\r\nSet-Cookie: x=1',
  'a@b',
  'user@example.com',
  `${'x'.repeat(250)}@example.com`,
  'x'.repeat(10_000),
  'é'.repeat(3_000),
];

const HOSTILE_IDS = [
  '-1',
  '0',
  '1.5',
  '1e3',
  '0x10',
  '+1',
  ' 1',
  '01',
  'NaN',
  'Infinity',
  'null',
  'undefined',
  'true',
  '9223372036854775807',
  '9223372036854775808',
  '99999999999999999999999999',
  '-9223372036854775809',
  '%00',
  '1%00',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '..%2F..%2F',
  '%ED%A0%80',
  '%C0%AE',
  '%',
  '%zz',
  '%25',
  "1'%20OR%20'1'%3D'1",
  '1;DROP%20TABLE%20users',
  '%D9%A1',
  '%EF%BC%91',
  'x'.repeat(3_000),
  '__proto__',
  'constructor',
];

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json; charset=nope',
  'application/vnd.api+json',
  'text/plain',
  'text/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  'application/json, text/plain',
  '*/*',
  ';;;',
];

const BAD_JSON = [
  '{',
  '}',
  '{"email":}',
  '{"email": "a@b.c",}',
  "{'email': 'a@b.c'}",
  'nul',
  'NaN',
  '[1,2',
  '"\\ud800"',
  '{"a":"\\u00"}',
  '\ufeff{"email":"bom@example.com","name":"Bom"}',
  '{"email":"x@example.com","name":"x"}{"again":1}',
  '1e999999',
];

export interface FuzzContext {
  /** Ids of rows that exist, so updates and deletes reach the database too. */
  knownIds: string[];
  bodyLimitBytes: number;
  bearerToken: string;
}

/** One hostile request for `route`. */
export function hostileRequest(random: Random, route: Route, context: FuzzContext): FuzzRequest {
  const labels: string[] = [];
  const method = random.chance(0.8) ? route.method : random.pick(ODD_METHODS);
  if (method !== route.method) labels.push(`method ${method}`);
  let path = fillParameters(random, route.path, context, labels);
  if (random.chance(0.15)) {
    const suffix = random.pick(['/', '//', '/extra', '/..', '/%2e%2e/users', '?']);
    path += suffix;
    labels.push(`suffix ${suffix}`);
  }
  const query = hostileQuery(random);
  if (query) {
    path += `${path.includes('?') ? '&' : '?'}${query}`;
    labels.push(`query ${query.slice(0, 60)}`);
  }
  const headers: Record<string, string> = { authorization: `Bearer ${context.bearerToken}` };
  let body: Buffer | undefined;
  if (random.chance(0.85) && method !== 'GET' && method !== 'HEAD') {
    body = hostileBody(random, context, labels);
    headers['content-type'] = random.chance(0.7) ? 'application/json' : random.pick(CONTENT_TYPES);
    if (headers['content-type'] !== 'application/json') labels.push(headers['content-type']);
  } else if (random.chance(0.1)) {
    body = Buffer.from('{"email":"get@example.com"}');
    headers['content-type'] = 'application/json';
    labels.push('body on a GET');
  }
  addHostileHeaders(random, headers, labels);
  const raw = random.chance(0.1);
  if (raw) labels.push('raw socket');
  return {
    route,
    method,
    path: raw ? rawPath(random, path) : path,
    headers,
    body,
    raw,
    label: labels.join(', '),
  };
}

function fillParameters(
  random: Random,
  path: string,
  context: FuzzContext,
  labels: string[],
): string {
  return path.replace(/:(\w+)/g, () => {
    if (context.knownIds.length > 0 && random.chance(0.3)) return random.pick(context.knownIds);
    const id = random.pick(HOSTILE_IDS);
    labels.push(`id ${id.slice(0, 40)}`);
    return id.replace(/[^\x21-\x7e]/g, percentEncode);
  });
}

function hostileQuery(random: Random): string {
  if (random.chance(0.4)) return '';
  const parts: string[] = [];
  const count = 1 + random.int(4);
  for (let i = 0; i < count; i++) {
    const name = random.pick([
      'limit',
      'cursor',
      'limit',
      'cursor',
      '__proto__',
      'a[b]',
      'sort',
      '',
    ]);
    parts.push(`${percentEncode(name)}=${queryValue(random, name)}`);
  }
  if (random.chance(0.2)) parts.push('limit=1&limit=2');
  if (random.chance(0.05)) parts.push(`${'q'.repeat(3000)}=1`);
  return parts.join('&');
}

function queryValue(random: Random, name: string): string {
  if (name === 'cursor' && random.chance(0.6)) return percentEncode(hostileCursor(random));
  const value = random.chance(0.5)
    ? random.pick(HOSTILE_IDS)
    : percentEncode(random.pick(HOSTILE_STRINGS).slice(0, 500));
  return value.replace(/[^\x21-\x7e]/g, percentEncode);
}

/** Like encodeURIComponent, but a lone surrogate goes out as U+FFFD instead of throwing. */
function percentEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

/** Cursors shaped like the API's own (base64url JSON) but carrying hostile values. */
function hostileCursor(random: Random): string {
  const after = random.pick<unknown>([
    '9223372036854775807',
    '9223372036854775808',
    '9999999999999999999',
    '0',
    '-1',
    '1.5',
    12,
    null,
    { $gt: 1 },
    ['1'],
    '1 OR 1=1',
    '\u0000',
  ]);
  const payload = random.chance(0.8) ? JSON.stringify({ after }) : random.pick(BAD_JSON);
  const encoded = Buffer.from(payload).toString(random.chance(0.8) ? 'base64url' : 'base64');
  return random.chance(0.9) ? encoded : `${encoded}!!`;
}

function hostileBody(random: Random, context: FuzzContext, labels: string[]): Buffer {
  const kind = random.int(10);
  switch (kind) {
    case 0: {
      const text = random.pick(BAD_JSON);
      labels.push(`bad JSON ${text.slice(0, 30)}`);
      return Buffer.from(text);
    }
    case 1:
      labels.push('deep nesting');
      return Buffer.from(deeplyNested(random));
    case 2: {
      const key = random.pick(['__proto__', 'constructor', 'prototype']);
      labels.push(`pollution ${key}`);
      return Buffer.from(
        `{"${key}":{"admin":true,"prototype":{"polluted":1}},"email":"p${random.int(1e9)}@example.com","name":"P"}`,
      );
    }
    case 3: {
      const size = random.pick([
        context.bodyLimitBytes - 64,
        context.bodyLimitBytes,
        context.bodyLimitBytes + 1,
        context.bodyLimitBytes * 3,
      ]);
      labels.push(`body of about ${size} bytes`);
      return Buffer.from(
        JSON.stringify({ email: 'big@example.com', name: 'n'.repeat(Math.max(size - 40, 1)) }),
      );
    }
    case 4:
      labels.push('invalid UTF-8 bytes');
      return Buffer.concat([
        Buffer.from('{"email":"u@example.com","name":"'),
        Buffer.from([0xff, 0xfe, 0xc0, 0xae, 0xed, 0xa0, 0x80]),
        Buffer.from('"}'),
      ]);
    case 5: {
      const value = random.pick<unknown>([
        1,
        -1,
        1.5,
        1e308,
        true,
        null,
        [],
        {},
        ['a'],
        { $ne: null },
        'x'.repeat(5),
      ]);
      labels.push(`wrong type ${JSON.stringify(value)}`);
      return Buffer.from(
        JSON.stringify({ email: value, name: random.chance(0.5) ? value : 'Name' }),
      );
    }
    case 6: {
      const top = random.pick([
        '[]',
        '"text"',
        '123',
        'null',
        'true',
        '[{"email":"a@b.co","name":"A"}]',
      ]);
      labels.push(`top-level ${top}`);
      return Buffer.from(top);
    }
    default: {
      // A valid email often, so the hostile name gets past validation to the database.
      const email = random.pick([
        `fuzz-${random.int(1e9)}@example.com`,
        `${random.pick(HOSTILE_STRINGS)}${random.int(1e9)}@example.com`,
        random.pick(HOSTILE_STRINGS),
      ]);
      const name = random.pick(HOSTILE_STRINGS);
      const extra = random.chance(0.2)
        ? { id: random.pick(HOSTILE_IDS), createdAt: 'yesterday' }
        : {};
      labels.push(`strings ${JSON.stringify({ email, name }).slice(0, 60)}`);
      return Buffer.from(JSON.stringify({ email, name, ...extra }));
    }
  }
}

function deeplyNested(random: Random): string {
  const depth = random.pick([100, 1_000, 10_000, 50_000]);
  return random.chance(0.5)
    ? `${'['.repeat(depth)}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

function addHostileHeaders(
  random: Random,
  headers: Record<string, string>,
  labels: string[],
): void {
  if (random.chance(0.1)) {
    headers['x-request-id'] = random.pick([
      '',
      'a'.repeat(500),
      '../../x',
      'id with spaces',
      '%00',
    ]);
    labels.push('odd x-request-id');
  }
  if (random.chance(0.05)) {
    headers['content-encoding'] = random.pick(['gzip', 'deflate', 'br', 'zstd', 'identity, gzip']);
    labels.push(`content-encoding ${headers['content-encoding']}`);
  }
  if (random.chance(0.05)) {
    headers.accept = random.pick(['application/xml', '*/*;q=0', 'text/html', '']);
  }
  if (random.chance(0.03)) {
    headers['x-forwarded-for'] = '127.0.0.1, ::1, not-an-ip';
  }
}

/**
 * Raw sockets may carry bytes a URL may not: NUL, Latin-1, a lone surrogate's UTF-8 bytes
 * (ED A0 80). The request head is written as Latin-1, one byte per character.
 */
function rawPath(random: Random, path: string): string {
  return random.pick([
    path,
    `${path}\u0000`,
    `${path}/\u00e9`,
    `${path}/\xed\xa0\x80`,
    path.replace(/^\//, '//'),
    `${path}#fragment`,
    `http://127.0.0.1${path}`,
    '*',
  ]);
}
