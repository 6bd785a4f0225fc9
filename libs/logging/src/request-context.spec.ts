import { requestContext } from './request-context.js';

describe('requestContext', () => {
  it('is empty outside a unit of work, and assign() is then a no-op', () => {
    expect(requestContext.get()).toBeUndefined();
    requestContext.assign({ tenantId: 't' });
    expect(requestContext.get()).toBeUndefined();
  });

  it('gives the current correlation id inside a run, a fresh one outside', () => {
    const inside = requestContext.run({ correlationId: 'c-1' }, () => requestContext.correlationId());
    expect(inside).toBe('c-1');
    const first = requestContext.correlationId();
    expect(first).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestContext.correlationId()).not.toBe(first);
  });

  it('keeps values across awaits and copies the initial values', async () => {
    const initial = { correlationId: 'c-2' };
    await requestContext.run(initial, async () => {
      await Promise.resolve();
      requestContext.assign({ actorId: 'a-1' });
      await new Promise((resolve) => setTimeout(resolve, 1));
      expect(requestContext.get()).toEqual({ correlationId: 'c-2', actorId: 'a-1' });
    });
    expect(initial).toEqual({ correlationId: 'c-2' });
  });
});
