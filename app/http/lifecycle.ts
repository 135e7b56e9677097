/**
 * What the process is doing, shared by readiness and graceful shutdown: once shutting down,
 * readiness answers 503 at once while requests are still served.
 */
export class Lifecycle {
  private stopping = false;

  get shuttingDown(): boolean {
    return this.stopping;
  }

  beginShutdown(): void {
    this.stopping = true;
  }
}
