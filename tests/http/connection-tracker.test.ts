import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { ConnectionTracker } from '../../app/http/graceful-shutdown';
import { until } from '../support/wait';

/**
 * The tracker on a real server and a raw keep-alive socket, so the test controls exactly when
 * the next request's bytes reach the server and what the event loop does meanwhile.
 */

const REQUEST = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';

function busyWait(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // Keeps the event loop blocked, as a CPU-bound request or a loaded machine does.
  }
}

/** A raw client socket that collects what the server sends and how the socket ended. */
function connect(
  port: number,
): Promise<{ socket: net.Socket; received: () => string; ended: Promise<string> }> {
  return new Promise((resolve, reject) => {
    let data = '';
    const socket = net.connect(port, '127.0.0.1');
    const ended = new Promise<string>((done) => {
      socket.on('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
      socket.on('close', () => done('closed'));
    });
    socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
    socket.once('connect', () => resolve({ socket, received: () => data, ended }));
    socket.once('error', reject);
  });
}

describe('ConnectionTracker', () => {
  let server: http.Server;
  let tracker: ConnectionTracker;
  let port: number;
  let respondedAt = 0;
  let onRequest: (url: string | undefined) => Promise<void> | void = () => {};

  beforeEach(async () => {
    server = http.createServer((req, res) => {
      res.on('close', () => (respondedAt = Date.now()));
      void Promise.resolve(onRequest(req.url)).then(() => res.end('ok'));
    });
    tracker = new ConnectionTracker(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    tracker.destroyAll();
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers a request whose bytes arrived while another request blocked the event loop past the quiet window, instead of resetting the socket', async () => {
    const idle = await connect(port);
    idle.socket.write(REQUEST);
    await until(() => idle.received().includes('ok'));
    // A sweep has seen the socket quiet, as the drain delay's sweeps would.
    await tracker.watch(30);
    let closed: Promise<boolean> | undefined;
    onRequest = (url) => {
      if (url !== '/busy') return;
      // The drain starts, and its first sweep is queued, in the same turn of the event loop
      // as this request. While the request holds the loop, the idle socket's next request
      // reaches the server's receive buffer: when the loop is free again, the sweep must not
      // judge the socket (quiet for longer than the window) by a byte count not read yet.
      closed = tracker.closeWhenQuiet({ quietMs: 50, deadlineMs: 5_000 });
      idle.socket.write(REQUEST);
      busyWait(120);
    };

    const busy = await connect(port);
    busy.socket.write('GET /busy HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');

    expect(await idle.ended).toBe('closed');
    expect(idle.received().match(/HTTP\/1\.1 200/g)).toHaveLength(2);
    expect(await busy.ended).toBe('closed');
    expect(await closed).toBe(true);
  });

  it('closes nothing while every turn of the event loop is long, and closes once the loop is free', async () => {
    const client = await connect(port);
    client.socket.write(REQUEST);
    await until(() => client.received().includes('ok'));
    await tracker.watch(30);
    // Every turn of the loop spends 10 ms on other work for 400 ms: no sweep can be sure it
    // read what arrived on the socket, so none may close it, quiet as it looks.
    const busyUntil = Date.now() + 400;
    const stillOpen = new Promise<number>((resolve) => {
      const spin = (): void => {
        busyWait(10);
        if (Date.now() < busyUntil) setImmediate(spin);
        else resolve(tracker.size);
      };
      setImmediate(spin);
    });

    const closed = tracker.closeWhenQuiet({ quietMs: 50, deadlineMs: 5_000 });
    expect(await stillOpen).toBe(1);
    expect(await closed).toBe(true);
    expect(await client.ended).toBe('closed');
  });

  it('keeps a socket whose request is still in flight open past the quiet window, and closes it once quiet', async () => {
    let answer: (() => void) | undefined;
    onRequest = (url) => {
      if (url === '/slow') return new Promise<void>((resolve) => (answer = resolve));
    };
    const client = await connect(port);
    client.socket.write('GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await until(() => answer !== undefined);

    const closed = tracker.closeWhenQuiet({ quietMs: 50, deadlineMs: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(tracker.describe()).toBe('1 connection(s), 1 with a request in flight');
    answer!();
    expect(await closed).toBe(true);
    expect(client.received()).toMatch(/^HTTP\/1\.1 200/);
    expect(client.received()).toMatch(/ok$/);
    expect(await client.ended).toBe('closed');
  });

  it('counts the quiet time watched during the drain: a socket quiet all along closes at once', async () => {
    const client = await connect(port);
    client.socket.write(REQUEST);
    await until(() => client.received().includes('ok'));
    await tracker.watch(2_100);
    const startedAt = Date.now();
    expect(await tracker.closeWhenQuiet({ quietMs: 2_000, deadlineMs: 5_000 })).toBe(true);
    // Well before a quiet window counted from now would have ended.
    expect(Date.now() - startedAt).toBeLessThan(1_500);
    expect(await client.ended).toBe('closed');
  });

  it('closes a socket that stays quiet for the window', async () => {
    const client = await connect(port);
    client.socket.write(REQUEST);
    await until(() => client.received().includes('ok'));

    expect(await tracker.closeWhenQuiet({ quietMs: 100, deadlineMs: 5_000 })).toBe(true);
    // Not before the socket had been quiet for the window since its last response.
    expect(Date.now() - respondedAt).toBeGreaterThanOrEqual(100);
    expect(await client.ended).toBe('closed');
    expect(tracker.size).toBe(0);
  });
});
