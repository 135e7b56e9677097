import type { RequestListener } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Sequelize } from 'sequelize';
import type { Lifecycle } from './lifecycle';

/**
 * Prometheus metrics of one app instance, on a registry of its own (tests create several apps
 * in one process). Requests are labelled by route pattern (`/users/:id`), never by raw URL, so
 * the number of series stays bounded whatever clients send.
 */
export const UNMATCHED_ROUTE = 'unmatched';

/** What the pool of Sequelize exposes (sequelize-pool), read when Prometheus scrapes. */
interface PoolState {
  size: number;
  available: number;
  using: number;
  waiting: number;
}

export class AppMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route' | 'status'>;

  constructor(deps: { sequelize: Sequelize; lifecycle: Lifecycle }) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from the request to the end of its response, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
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
    const labels = { method, route, status: String(status) };
    this.requests.inc(labels);
    this.duration.observe(labels, seconds);
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
