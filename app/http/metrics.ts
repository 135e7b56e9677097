import type { RequestListener } from 'node:http';
import type { Request } from 'express';
import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import type { Sequelize } from 'sequelize';
import type { Lifecycle } from './lifecycle';

/**
 * Prometheus metrics of one app instance, on a registry of its own (tests create several apps
 * in one process). Requests are labelled by route pattern (`/users/:id`), never by raw URL, so
 * the number of series stays bounded whatever clients send.
 */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The pattern of the route that took the request (`/users/:id`), the metrics label. The app's
 * routes are mounted on the app at their whole patterns (`mountResource`), and Express points
 * `req.route` at the route a request matched, so nothing is set on each request. A route inside
 * a router mounted by hand (`app.use(path, router)`) knows only its part of the pattern, and a
 * route matched by a regular expression has no text to show: both count as unmatched.
 */
export function routePatternOf(req: Request): string | undefined {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' && req.baseUrl === '' ? path : undefined;
}

/** What the pool of Sequelize exposes (sequelize-pool), read when Prometheus scrapes. */
interface PoolState {
  size: number;
  available: number;
  using: number;
  waiting: number;
}

/** Upper bounds of the request duration histogram, in seconds. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** One (method, route pattern, status): counted on every request, read when Prometheus scrapes. */
interface RequestSeries {
  readonly method: string;
  readonly status: number;
  readonly labels: { method: string; route: string; status: string };
  count: number;
  sum: number;
  /** Requests per bucket, not cumulative; the last slot counts those above every bound. */
  readonly perBucket: number[];
}

/**
 * The request counts and durations, kept as plain numbers. prom-client's `inc` and `observe`
 * hash their label object on every call (a few microseconds a request, a measurable share of a
 * fast route); here a request costs a map lookup and two additions, and the labels are
 * turned into samples only when scraped.
 */
class RequestSeriesStore {
  private readonly byRoute = new Map<string, RequestSeries[]>();

  record(method: string, route: string, status: number, seconds: number): void {
    let list = this.byRoute.get(route);
    if (list === undefined) this.byRoute.set(route, (list = []));
    let series: RequestSeries | undefined;
    for (const candidate of list) {
      if (candidate.status === status && candidate.method === method) {
        series = candidate;
        break;
      }
    }
    if (series === undefined) list.push((series = newSeries(method, route, status)));
    series.count++;
    series.sum += seconds;
    let bucket = 0;
    while (bucket < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[bucket]) bucket++;
    series.perBucket[bucket]++;
  }

  all(): RequestSeries[] {
    return [...this.byRoute.values()].flat();
  }

  clear(): void {
    this.byRoute.clear();
  }
}

function newSeries(method: string, route: string, status: number): RequestSeries {
  return {
    method,
    status,
    labels: { method, route, status: String(status) },
    count: 0,
    sum: 0,
    perBucket: new Array<number>(DURATION_BUCKETS.length + 1).fill(0),
  };
}

/** The samples of the duration histogram: cumulative buckets, `+Inf`, sum and count. */
function histogramValues(name: string, store: RequestSeriesStore) {
  return store.all().flatMap(({ labels, perBucket, sum, count }) => {
    let cumulative = 0;
    const buckets = DURATION_BUCKETS.map((le, index) => {
      cumulative += perBucket[index];
      return { metricName: `${name}_bucket`, labels: { ...labels, le }, value: cumulative };
    });
    return [
      ...buckets,
      { metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: count },
      { metricName: `${name}_sum`, labels, value: sum },
      { metricName: `${name}_count`, labels, value: count },
    ];
  });
}

/**
 * A histogram prom-client's registry exposes like its own: the registry reads a metric through
 * `get()` (and `reset()`), which is all this implements, since prom-client's Histogram cannot
 * be given counts it did not observe itself.
 */
function registerDurationHistogram(registry: Registry, store: RequestSeriesStore): void {
  const name = 'http_request_duration_seconds';
  const metric = {
    name,
    help: 'Time from the request to the end of its response, by method, route pattern and status',
    type: 'histogram',
    aggregator: 'sum',
    get: async () => ({
      name,
      help: metric.help,
      type: metric.type,
      aggregator: metric.aggregator,
      values: histogramValues(name, store),
    }),
    reset: () => store.clear(),
  };
  registry.registerMetric(metric as unknown as Metric);
}

export class AppMetrics {
  readonly registry = new Registry();
  private readonly requests = new RequestSeriesStore();

  constructor(deps: { sequelize: Sequelize; lifecycle: Lifecycle }) {
    const registers = [this.registry];
    const requests = this.requests;
    collectDefaultMetrics({ register: this.registry });
    new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers,
      collect() {
        this.reset();
        for (const series of requests.all()) this.inc(series.labels, series.count);
      },
    });
    registerDurationHistogram(this.registry, requests);
    const pool = (): PoolState | undefined =>
      (deps.sequelize.connectionManager as unknown as { pool?: PoolState }).pool;
    const poolGauge = (name: string, help: string, read: (state: PoolState) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const state = pool();
          this.set(state ? read(state) : 0);
        },
      });
    poolGauge('db_pool_connections', 'Connections the database pool holds', (s) => s.size);
    poolGauge('db_pool_connections_in_use', 'Pool connections running a query', (s) => s.using);
    poolGauge('db_pool_connections_idle', 'Pool connections free to use', (s) => s.available);
    poolGauge('db_pool_waiting', 'Queries waiting for a free pool connection', (s) => s.waiting);
    new Gauge({
      name: 'app_shutting_down',
      help: '1 once graceful shutdown began (readiness fails, requests drain), else 0',
      registers,
      collect() {
        this.set(deps.lifecycle.shuttingDown ? 1 : 0);
      },
    });
  }

  /** Counts one answered request. */
  observe(method: string, route: string, status: number, seconds: number): void {
    this.requests.record(method, route, status, seconds);
  }

  /** The text Prometheus scrapes, and its content type. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** The listener of METRICS_PORT: GET /metrics, and 404 for anything else. */
export function metricsListener(metrics: AppMetrics): RequestListener {
  return (req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res
        .writeHead(404, { 'Content-Type': 'text/plain' })
        .end('Only GET /metrics is served here.\n');
      return;
    }
    metrics.exposition().then(
      ({ contentType, body }) => res.writeHead(200, { 'Content-Type': contentType }).end(body),
      (error: unknown) =>
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${(error as Error).message}\n`),
    );
  };
}
