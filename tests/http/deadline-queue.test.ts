import type { Request, Response } from 'express';
import { DeadlineQueue } from '../../app/http/request-context';

/** Stand-ins for a request and its response: the queue only hands them back. */
function exchange(name: string): { req: Request; res: Response } {
  return { req: { name } as unknown as Request, res: { name } as unknown as Response };
}

describe('DeadlineQueue', () => {
  // Jest's fake clock drives both the timer and performance.now(): the test decides what time it is.
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('expires, in arrival order, exactly the requests still open at their deadline', () => {
    const expired: string[] = [];
    const queue = new DeadlineQueue(60, (req) =>
      expired.push((req as unknown as { name: string }).name),
    );
    const entries = ['a', 'b', 'c'].map((name) => {
      const { req, res } = exchange(name);
      return queue.add(req, res, performance.now());
    });
    queue.finish(entries[1]);
    jest.advanceTimersByTime(30);
    const late = exchange('d');
    const d = queue.add(late.req, late.res, performance.now());
    jest.advanceTimersByTime(45);
    // a and c passed their deadline; b had finished; d is 45 ms old.
    expect(expired).toEqual(['a', 'c']);
    expect(queue.size).toBe(1);
    jest.advanceTimersByTime(40);
    expect(expired).toEqual(['a', 'c', 'd']);
    expect(queue.size).toBe(0);
    queue.finish(d); // the 503's own close: nothing left to do
    expect(queue.size).toBe(0);
  });

  it('holds only what arrived since the oldest request in flight, and nothing once all finished', () => {
    const queue = new DeadlineQueue(60_000, () => {
      throw new Error('nothing expires in this test');
    });
    const now = performance.now();
    const slow = queue.add(exchange('slow').req, exchange('slow').res, now);
    for (let i = 0; i < 5_000; i++) {
      const { req, res } = exchange(`fast ${i}`);
      queue.finish(queue.add(req, res, now));
    }
    expect(queue.size).toBe(5_001);
    queue.finish(slow);
    expect(queue.size).toBe(0);
    for (let i = 0; i < 5_000; i++) {
      const { req, res } = exchange(`fast ${i}`);
      queue.finish(queue.add(req, res, now));
    }
    expect(queue.size).toBe(0);
  });
});
