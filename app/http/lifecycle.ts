/**
 * What the process is doing, shared by readiness and graceful shutdown: once shutting down,
 * readiness answers 503 at once while requests are still served.
 */
export class Lifecycle {
  private stopping = false;
  private readonly onStopping: (() => void)[] = [];

  get shuttingDown(): boolean {
    return this.stopping;
  }

  beginShutdown(): void {
    if (this.stopping) return;
    this.stopping = true;
    for (const listener of this.onStopping.splice(0)) listener();
  }

  /** Runs `listener` once shutdown begins (at once if it has). */
  onShutdown(listener: () => void): void {
    if (this.stopping) listener();
    else this.onStopping.push(listener);
  }
}
