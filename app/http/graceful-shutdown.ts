import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../logger';
import type { Lifecycle } from './lifecycle';

export interface ShutdownTimings {
  /** How long readiness fails while requests are still served, so load balancers notice. */
  drainDelayMs: number;
  /** Hard deadline for in-flight requests once the server stops accepting. */
  timeoutMs: number;
}

/**
 * Tracks the server's sockets so shutdown can close the idle ones and let busy ones finish
 * their current response (sent with `Connection: close`) before they are closed.
 */
export class ConnectionTracker {
  private readonly active = new Map<Socket, number>();

  constructor(server: Server) {
    server.on('connection', (socket: Socket) => {
      this.active.set(socket, 0);
      socket.once('close', () => this.active.delete(socket));
    });
    server.on('request', (req, res) => {
      const socket = req.socket;
      this.active.set(socket, (this.active.get(socket) ?? 0) + 1);
      res.once('close', () => {
        const left = (this.active.get(socket) ?? 1) - 1;
        if (!this.active.has(socket)) return;
        this.active.set(socket, left);
        if (left === 0 && this.closing) socket.end();
      });
    });
  }

  private closing = false;

  get size(): number {
    return this.active.size;
  }

  /** Ends idle sockets now and busy ones as soon as their response is sent. */
  closeIdle(): void {
    this.closing = true;
    for (const [socket, inFlight] of this.active) if (inFlight === 0) socket.end();
  }

  destroyAll(): void {
    for (const socket of this.active.keys()) socket.destroy();
  }

  async waitUntilEmpty(deadlineMs: number): Promise<boolean> {
    const until = Date.now() + deadlineMs;
    while (this.active.size > 0 && Date.now() < until) await sleep(25);
    return this.active.size === 0;
  }
}

/**
 * Order on SIGTERM: readiness fails at once; after the drain delay stop accepting; close idle
 * sockets, let in-flight requests finish with `Connection: close` until the deadline; then the
 * caller closes the database pool and exits.
 */
export async function drainServer(
  server: Server,
  tracker: ConnectionTracker,
  lifecycle: Lifecycle,
  timings: ShutdownTimings,
  logger: Logger,
): Promise<void> {
  lifecycle.beginShutdown();
  logger.info(`shutdown: readiness now fails; draining for ${timings.drainDelayMs} ms`);
  await sleep(timings.drainDelayMs);

  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  tracker.closeIdle();
  logger.info(`shutdown: stopped accepting; ${tracker.size} connection(s) finishing`);
  const finished = await tracker.waitUntilEmpty(timings.timeoutMs);
  if (!finished) {
    logger.warn(
      `shutdown: deadline of ${timings.timeoutMs} ms passed; closing ${tracker.size} connection(s)`,
    );
    tracker.destroyAll();
  }
  await closed;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
