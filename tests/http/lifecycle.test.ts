import { Lifecycle } from '../../app/http/lifecycle';

describe('Lifecycle', () => {
  it('runs shutdown listeners once, when shutdown begins, and at once for one added after', () => {
    const lifecycle = new Lifecycle();
    const calls: string[] = [];
    lifecycle.onShutdown(() => calls.push('before'));
    expect(calls).toEqual([]);
    lifecycle.beginShutdown();
    lifecycle.beginShutdown();
    expect(lifecycle.shuttingDown).toBe(true);
    expect(calls).toEqual(['before']);
    lifecycle.onShutdown(() => calls.push('after'));
    expect(calls).toEqual(['before', 'after']);
  });
});
