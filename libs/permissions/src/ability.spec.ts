import { CompiledPermissions } from './ability.js';

const principal = {
  userId: '0193a5e0-0000-7000-8000-0000000000a1',
  tenantId: '0193a5e0-0000-7000-8000-0000000000b1',
  sessionId: '0193a5e0-0000-7000-8000-0000000000c1',
  kind: 'person' as const,
};
const conversation = '0193a5e0-0000-7000-8000-0000000000d1';

describe('CompiledPermissions', () => {
  const compiled = new CompiledPermissions([
    { action: 'conversation:message:read', subject: 'all' },
    { action: 'conversation:message:send', subject: 'conversation', conditions: { id: conversation } },
    { action: 'file:file:delete', subject: 'all', conditions: { ownerId: principal.userId } },
  ]);

  it('answers tenant-wide checks only from tenant-wide rules', () => {
    expect(compiled.allows(principal, 'conversation:message:read')).toBe(true);
    expect(compiled.allows(principal, 'conversation:message:send')).toBe(false);
    expect(compiled.allows(principal, 'file:file:delete')).toBe(false);
  });

  it('answers resource checks from scoped, owned and tenant-wide rules', () => {
    expect(
      compiled.allows(principal, 'conversation:message:send', { type: 'conversation', id: conversation }),
    ).toBe(true);
    expect(
      compiled.allows(principal, 'conversation:message:send', {
        type: 'conversation',
        id: '0193a5e0-0000-7000-8000-0000000000d2',
      }),
    ).toBe(false);
    expect(
      compiled.allows(principal, 'conversation:message:read', { type: 'conversation', id: conversation }),
    ).toBe(true);
    const file = { type: 'file' as const, id: '0193a5e0-0000-7000-8000-0000000000e1' };
    expect(compiled.allows(principal, 'file:file:delete', { ...file, ownerId: principal.userId })).toBe(true);
    expect(compiled.allows(principal, 'file:file:delete', { ...file, ownerId: conversation })).toBe(false);
  });

  it('never allows a tenant resource of another tenant', () => {
    expect(
      compiled.allows(principal, 'conversation:message:read', { type: 'tenant', id: principal.tenantId }),
    ).toBe(true);
    expect(
      compiled.allows(principal, 'conversation:message:read', { type: 'tenant', id: conversation }),
    ).toBe(false);
  });
});
