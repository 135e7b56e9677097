import net from 'node:net';
import type { Server, ServerResponse } from 'node:http';
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
 * A keep-alive socket that has not been told `Connection: close` is closed only once it has
 * been quiet this long, and never less than this floor (the drain delay is 0 in development).
 */
const QUIET_FLOOR_MS = 1_000;
const SWEEP_EVERY_MS = 25;
/**
 * A turn of the event loop this short ran nothing long after reading its sockets, so no
 * request can have arrived unread meanwhile; the sweep waits this many turns at most for one.
 */
const SHORT_TURN_MS = 5;
const MAX_TURNS = 20;

interface SocketState {
  /** When a sweep last saw the socket busy or reading (or when it opened). */
  quietSince: number;
  /** `socket.bytesRead` at that sweep: more bytes since mean a request is arriving. */
  bytesRead: number;
}

/**
 * Tracks the server's sockets so shutdown never closes one under a client that is about to
 * use it. The race it avoids: an idle keep-alive socket closed just as the client sends its
 * next request on it, which the client sees as ECONNRESET (what http-terminator and Node's own
 * `server.close()` do to idle sockets). Instead:
 * - while shutting down every response carries `Connection: close` (see app.ts), so a socket
 *   that serves one more request is closed by Node right after it, with the client told;
 * - a socket that was never told is closed only after it has been quiet (no request in flight,
 *   no byte of a new request received) for the whole quiet window, judged only once the event
 *   loop has read what already arrived;
 * - whatever is left at the hard deadline is destroyed.
 * Quiet is judged by sweeps that run only while shutting down: a request costs nothing here.
 */
export class ConnectionTracker {
  private readonly sockets = new Map<Socket, SocketState>();

  constructor(
    server: Server,
    private readonly now: () => number = Date.now,
  ) {
    server.on('connection', (socket: Socket) => this.track(socket));
  }

  get size(): number {
    return this.sockets.size;
  }

  describe(): string {
    let busy = 0;
    for (const socket of this.sockets.keys()) if (inFlight(socket)) busy++;
    return `${this.sockets.size} connection(s), ${busy} with a request in flight`;
  }

  /** Sweeps for this long without closing anything: how long each socket has been quiet. */
  async watch(ms: number): Promise<void> {
    await this.sweepUntil(ms, undefined);
  }

  /**
   * Closes sockets as they become safe to close; resolves true once none is left, false when
   * the deadline passed first.
   */
  async closeWhenQuiet(options: { quietMs: number; deadlineMs: number }): Promise<boolean> {
    await this.sweepUntil(options.deadlineMs, options.quietMs);
    return this.sockets.size === 0;
  }

  destroyAll(): void {
    for (const socket of this.sockets.keys()) socket.destroy();
  }

  private track(socket: Socket): void {
    this.sockets.set(socket, { quietSince: this.now(), bytesRead: 0 });
    socket.once('close', () => this.sockets.delete(socket));
  }

  /**
   * Sweeps every SWEEP_EVERY_MS for `ms`, each sweep once the loop has read what arrived (a sweep
   * that cannot be sure of that closes nothing); with a quiet window, stops early once no socket
   * is left.
   */
  private async sweepUntil(ms: number, quietMs: number | undefined): Promise<void> {
    const until = this.now() + ms;
    for (;;) {
      const readAll = await afterPendingReads();
      this.sweep(readAll ? quietMs : undefined);
      if (quietMs !== undefined && this.sockets.size === 0) return;
      const left = until - this.now();
      if (left <= 0) return;
      await sleep(Math.min(SWEEP_EVERY_MS, left));
    }
  }

  /** Notes which sockets are busy; with a quiet window, closes those quiet for all of it. */
  private sweep(quietMs: number | undefined): void {
    const now = this.now();
    for (const [socket, state] of this.sockets) {
      if (inFlight(socket) || socket.bytesRead !== state.bytesRead) {
        // Busy, or a request is arriving: its response will carry Connection: close.
        state.bytesRead = socket.bytesRead;
        state.quietSince = now;
      } else if (quietMs !== undefined && now - state.quietSince >= quietMs) {
        socket.destroy();
      }
    }
  }
}

/**
 * Whether a response is being written on the socket. Node's HTTP server attaches each response
 * to its socket as `_httpMessage` and detaches it once finished (http-terminator reads it the
 * same way); reading it spares a listener on every request. The tracker's tests hold a request
 * in flight past the quiet window, so a Node that changed this would show there.
 */
function inFlight(socket: Socket): boolean {
  return (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage != null;
}

/**
 * Order on SIGTERM: readiness fails at once and requests are still served (each with
 * `Connection: close`); after the drain delay the server stops accepting; sockets close as
 * they become safe to close (see ConnectionTracker); in-flight requests finish before the hard
 * deadline. The caller then closes the database pool and exits.
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
  await tracker.watch(timings.drainDelayMs);

  const closed = stopAccepting(server);
  logger.info(`shutdown: stopped accepting; ${tracker.describe()}`);
  const quietMs = Math.max(timings.drainDelayMs, QUIET_FLOOR_MS);
  const finished = await tracker.closeWhenQuiet({ quietMs, deadlineMs: timings.timeoutMs });
  if (!finished) {
    logger.warn(
      `shutdown: deadline of ${timings.timeoutMs} ms passed; closing ${tracker.describe()}`,
    );
    tracker.destroyAll();
  }
  await closed;
}

/**
 * `http.Server#close` also destroys every idle keep-alive socket at once (Node 19+), which is
 * exactly the race above; `net.Server#close` only stops accepting. In a PM2 cluster worker it
 * also tells the primary to stop handing this worker new connections.
 */
function stopAccepting(server: Server): Promise<void> {
  return new Promise((resolve) => {
    net.Server.prototype.close.call(server, () => resolve());
  });
}

/**
 * Resolves true in the event loop's check phase, which comes after its poll phase has read every
 * socket that was readable when the poll began, once a whole turn of the loop (poll included)
 * was short: bytes that arrived during a long turn, while a CPU-heavy request or a loaded
 * machine held the loop, are in a socket's receive buffer but not in its `bytesRead` yet, and
 * closing that socket resets the client. The first turn is not measured: it may have started
 * before the caller queued its wait, in the middle of a long poll. Resolves false when the loop
 * stayed busy for MAX_TURNS turns.
 */
async function afterPendingReads(): Promise<boolean> {
  await nextCheckPhase();
  for (let turn = 0; turn < MAX_TURNS; turn++) {
    const startedAt = performance.now();
    await nextCheckPhase();
    if (performance.now() - startedAt <= SHORT_TURN_MS) return true;
  }
  return false;
}

function nextCheckPhase(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
