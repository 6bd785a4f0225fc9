import { defineCatalog, ParleyError } from '@parley/contracts';
import { PermissionsModule } from './permissions.module.js';
import { permissionsSettings } from './permissions.options.js';

const catalog = defineCatalog({
  service: 'file',
  domains: [{ domain: 'file', description: 'Files' }],
  permissions: [
    { permission: 'file:file:read', description: 'Read a file', resourceTypes: ['file'] },
    { permission: 'file:file:delete', description: 'Delete a file', resourceTypes: [] },
  ],
});

function failure(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error) {
      return error;
    }
  }
  throw new Error('Expected a throw');
}

describe('permissionsSettings', () => {
  it('has the documented defaults', () => {
    expect(permissionsSettings({})).toEqual({
      service: undefined,
      catalog: undefined,
      cache: { ttlMs: 30_000, maxEntries: 10_000, requestTimeoutMs: 5000 },
      registration: { initialDelayMs: 250, maxDelayMs: 30_000, timeoutMs: 5000 },
    });
  });

  it('builds the registration request from the catalog, naming the service', () => {
    const { domains, permissions } = catalog;
    const settings = permissionsSettings({ service: 'file', catalog: { domains, permissions }, ttlMs: 1000 });
    expect(settings.service).toBe('file');
    expect(settings.catalog).toEqual({
      service: 'file',
      domains: [{ domain: 'file', description: 'Files' }],
      permissions: [
        { permission: 'file:file:read', description: 'Read a file', resourceTypes: ['file'] },
        { permission: 'file:file:delete', description: 'Delete a file', resourceTypes: [] },
      ],
    });
    expect(settings.cache.ttlMs).toBe(1000);
    // A declaration made with defineCatalog names its service itself.
    expect(permissionsSettings({ catalog }).service).toBe('file');
  });

  it.each([
    ['a TTL above 30 s', { ttlMs: 30_001 }, /ttlMs must be an integer from 1 to 30000/],
    ['a TTL of zero', { ttlMs: 0 }, /ttlMs/],
    ['a fractional size', { maxEntries: 1.5 }, /maxEntries/],
    ['a bad retry delay', { registration: { initialDelayMs: -1 } }, /initialDelayMs/],
    [
      'a catalog of another service',
      { service: 'conversation' as const, catalog },
      /catalog of file cannot be registered by conversation/,
    ],
    [
      'a catalog without its service',
      { catalog: { domains: catalog.domains, permissions: catalog.permissions } },
      /needs the service/,
    ],
    [
      'a permission outside the declared domains',
      {
        service: 'file' as const,
        catalog: {
          domains: catalog.domains,
          permissions: [{ permission: 'conversation:message:send', description: 'x', resourceTypes: [] }],
        },
      },
      /outside its declared domains/,
    ],
    [
      'a catalog the contract refuses',
      { service: 'file' as const, catalog: { domains: catalog.domains, permissions: [] } },
      /Invalid permission catalog/,
    ],
  ])('refuses %s at start-up', (_name, options, message) => {
    expect(failure(() => permissionsSettings(options)).message).toMatch(message);
    expect(() => PermissionsModule.forRoot(options)).toThrow(message);
  });

  it('reports option errors as validation_failed', () => {
    expect(failure(() => permissionsSettings({ ttlMs: 60_000 }))).toBeInstanceOf(ParleyError);
  });

  it('never lets the longest retry delay be shorter than the first', () => {
    expect(
      permissionsSettings({ registration: { initialDelayMs: 500, maxDelayMs: 100 } }).registration,
    ).toMatchObject({ initialDelayMs: 500, maxDelayMs: 500 });
  });
});
