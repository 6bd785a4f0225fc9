import { jest } from '@jest/globals';
import { Writable } from 'node:stream';
import { defineCatalog, ParleyError, permissionRequests } from '@parley/contracts';
import { configureLogging } from '@parley/logging';
import type { NatsRpcClient } from '@parley/nats';
import { CatalogRegistration } from './catalog-registration.service.js';
import { permissionsSettings, type PermissionsModuleOptions } from './permissions.options.js';

const lines: Array<Record<string, unknown>> = [];
configureLogging({
  service: 'permissions-unit',
  level: 'info',
  destination: new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  }),
});

const catalog = defineCatalog({
  service: 'notification',
  domains: [{ domain: 'notification', description: 'Notifications' }],
  permissions: [{ permission: 'notification:probe:run', description: 'Run', resourceTypes: [] }],
});

describe('CatalogRegistration', () => {
  let request: jest.Mock<(contract: unknown, payload: unknown, options: unknown) => Promise<unknown>>;

  function registration(options: PermissionsModuleOptions = { catalog }): CatalogRegistration {
    return new CatalogRegistration(
      { request } as unknown as NatsRpcClient,
      permissionsSettings({
        registration: { initialDelayMs: 100, maxDelayMs: 400, timeoutMs: 50 },
        ...options,
      }),
    );
  }

  beforeEach(() => {
    jest.useFakeTimers();
    lines.length = 0;
    request = jest.fn();
  });
  afterEach(() => jest.useRealTimers());

  it('registers the catalog at bootstrap without waiting for it', async () => {
    request.mockResolvedValue({ added: ['notification:probe:run'], unchanged: 0 });
    const subject = registration();
    subject.onApplicationBootstrap();
    expect(subject.isRegistered).toBe(false);
    await subject.registered;
    expect(subject.isRegistered).toBe(true);
    expect(request).toHaveBeenCalledWith(
      permissionRequests.registerCatalog,
      {
        service: 'notification',
        domains: [{ domain: 'notification', description: 'Notifications' }],
        permissions: [{ permission: 'notification:probe:run', description: 'Run', resourceTypes: [] }],
      },
      { timeoutMs: 50 },
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'Permission catalog registered', added: ['notification:probe:run'] }),
    );
  });

  it('retries with doubling delays capped at maxDelayMs until it succeeds, logging each failure', async () => {
    request
      .mockRejectedValueOnce(new ParleyError('unavailable', 'No service answers'))
      .mockRejectedValueOnce(new ParleyError('unavailable', 'No service answers'))
      .mockRejectedValueOnce(new ParleyError('conflict', 'Domain declared by another service'))
      .mockRejectedValueOnce(new Error('connection closed'))
      .mockResolvedValueOnce({ added: [], unchanged: 1 });
    const subject = registration();
    subject.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(0);
    expect(subject.attempts).toBe(1);
    await jest.advanceTimersByTimeAsync(99);
    expect(subject.attempts).toBe(1);
    await jest.advanceTimersByTimeAsync(1); // +100
    expect(subject.attempts).toBe(2);
    await jest.advanceTimersByTimeAsync(200);
    expect(subject.attempts).toBe(3);
    await jest.advanceTimersByTimeAsync(399);
    expect(subject.attempts).toBe(3);
    await jest.advanceTimersByTimeAsync(1); // +400
    expect(subject.attempts).toBe(4);
    await jest.advanceTimersByTimeAsync(400); // capped
    expect(subject.attempts).toBe(5);
    await subject.registered;
    expect(
      lines.filter((line) => line['msg'] === 'Permission catalog not registered yet; will retry'),
    ).toHaveLength(2);
    expect(
      lines.filter((line) => line['msg'] === 'The permission service refused the catalog; will retry'),
    ).toHaveLength(2);
    expect(lines.map((line) => line['retryInMs']).filter((delay) => delay !== undefined)).toEqual([
      100, 200, 400, 400,
    ]);
  });

  it('stops retrying on shutdown', async () => {
    request.mockRejectedValue(new ParleyError('unavailable', 'No service answers'));
    const subject = registration();
    subject.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(0);
    subject.onApplicationShutdown();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(subject.attempts).toBe(1);
  });

  it('ignores a failure that arrives after shutdown', async () => {
    let fail: (error: Error) => void = () => undefined;
    request.mockImplementation(() => new Promise((_resolve, reject) => (fail = reject)));
    const subject = registration();
    subject.onApplicationBootstrap();
    subject.onApplicationShutdown();
    fail(new ParleyError('unavailable', 'late'));
    await jest.advanceTimersByTimeAsync(10_000);
    expect(subject.attempts).toBe(1);
    expect(lines).toEqual([]);
  });

  it('starts once however often bootstrap runs, and not at all without a catalog', async () => {
    request.mockResolvedValue({ added: [], unchanged: 1 });
    const subject = registration();
    subject.onApplicationBootstrap();
    subject.onApplicationBootstrap();
    await subject.registered;
    expect(request).toHaveBeenCalledTimes(1);

    const none = registration({});
    none.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(1000);
    expect(none.attempts).toBe(0);
  });
});
