import { defineCatalog } from './catalog-declaration.js';
import { conditionsSchema, permissionPattern, permissionSchema } from './permission.schema.js';
import { permissionRequests } from './permission.contracts.js';

describe('the permission pattern', () => {
  it.each(['conversation:message:send', 'permission:permission-set:create', 'file:file:read', 'a1:b-2:c3'])(
    'accepts %s',
    (value) => {
      expect(permissionPattern.test(value)).toBe(true);
    },
  );

  it.each([
    'conversation:message',
    'conversation:message:send:now',
    'Conversation:message:send',
    'conversation:message:*',
    'conversation::send',
    'conversation:message:send-',
    'conversation:-message:send',
    'conversation:message_send:x',
    ' conversation:message:send',
  ])('refuses %j', (value) => {
    expect(permissionPattern.test(value)).toBe(false);
    expect(permissionSchema.safeParse(value).success).toBe(false);
  });
});

describe('conditions', () => {
  it('accept a time window with a default time zone and ownership', () => {
    expect(
      conditionsSchema.parse({ timeWindow: { start: '22:00', end: '06:00' }, ownedByActor: true }),
    ).toEqual({
      timeWindow: { start: '22:00', end: '06:00', timeZone: 'UTC' },
      ownedByActor: true,
    });
  });

  it('refuse unknown keys and malformed times', () => {
    expect(conditionsSchema.safeParse({ isAllowed: true }).success).toBe(false);
    expect(conditionsSchema.safeParse({ timeWindow: { start: '24:00', end: '06:00' } }).success).toBe(false);
    expect(
      conditionsSchema.safeParse({ timeWindow: { start: '08:00', end: '16:00', days: [0] } }).success,
    ).toBe(false);
  });

  it('refuse oversized input: every field is bounded and unknown keys are refused', () => {
    const request = {
      actorId: '0193a5e0-0000-7000-8000-000000000001',
      permission: 'file:file:read',
      conditions: { timeWindow: { start: '08:00', end: '16:00', timeZone: 'x'.repeat(65) } },
    };
    expect(permissionRequests.createAssignment.request.safeParse(request).success).toBe(false);
    const padded = { ...request, conditions: { ownedByActor: true, note: 'x'.repeat(100_000) } };
    expect(permissionRequests.createAssignment.request.safeParse(padded).success).toBe(false);
  });
});

describe('defineCatalog', () => {
  const base = { service: 'file', domains: [{ domain: 'file', description: 'Files' }] } as const;

  it('returns a valid declaration unchanged', () => {
    const declaration = defineCatalog({
      ...base,
      permissions: [{ permission: 'file:file:read', description: 'Read', resourceTypes: ['file'] }],
    });
    expect(declaration.permissions).toHaveLength(1);
  });

  it('refuses malformed permissions, foreign domains, duplicates and bad domains', () => {
    expect(() =>
      defineCatalog({
        ...base,
        permissions: [{ permission: 'file:read', description: 'x', resourceTypes: [] }],
      }),
    ).toThrow(/Invalid permission "file:read"/);
    expect(() =>
      defineCatalog({
        ...base,
        permissions: [{ permission: 'conversation:message:send', description: 'x', resourceTypes: [] }],
      }),
    ).toThrow(/outside its declared domains/);
    const twice = { permission: 'file:file:read', description: 'x', resourceTypes: [] } as const;
    expect(() => defineCatalog({ ...base, permissions: [twice, twice] })).toThrow(/declared twice/);
    expect(() =>
      defineCatalog({ service: 'file', domains: [{ domain: 'File', description: 'x' }], permissions: [] }),
    ).toThrow(/Invalid permission domain/);
  });
});
