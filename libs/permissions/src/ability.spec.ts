import type { CaslRule } from '@parley/contracts';
import { CompiledPermissions, type CheckedResource } from './ability.js';

const actor = {
  userId: '0193a5e0-0000-7000-8000-0000000000a1',
  tenantId: '0193a5e0-0000-7000-8000-0000000000b1',
  sessionId: '0193a5e0-0000-7000-8000-0000000000c1',
  kind: 'person' as const,
};
const someoneElse = '0193a5e0-0000-7000-8000-0000000000a2';
const otherTenant = '0193a5e0-0000-7000-8000-0000000000b2';
const c1 = '0193a5e0-0000-7000-8000-0000000000d1';
const c2 = '0193a5e0-0000-7000-8000-0000000000d2';
const f1 = '0193a5e0-0000-7000-8000-0000000000e1';

const send = 'conversation:message:send';
const restricted = 'conversation:message:send-restricted';
const read = 'file:file:read';

const tenantWide = (action: string): CaslRule => ({ action, subject: 'all' });
const scoped = (action: string, type: CaslRule['subject'], id: string): CaslRule => ({
  action,
  subject: type,
  conditions: { id },
});
const owned = (action: string): CaslRule => ({
  action,
  subject: 'all',
  conditions: { ownerId: actor.userId },
});

const conversation = (id: string, extra: Partial<CheckedResource> = {}): CheckedResource => ({
  type: 'conversation',
  id,
  ...extra,
});
const file = (ownerId?: string): CheckedResource => ({ type: 'file', id: f1, ownerId });

interface Case {
  rules: CaslRule[];
  permissions: string[];
  match?: 'all' | 'any';
  resource?: CheckedResource;
  allowed: boolean;
  reason?: 'assigned' | 'no_assignment' | 'other_tenant';
  missing?: string[];
}

const cases: Array<[string, Case]> = [
  ['no rules: default deny', { rules: [], permissions: [send], allowed: false, missing: [send] }],
  ['tenant-wide, no resource', { rules: [tenantWide(send)], permissions: [send], allowed: true }],
  [
    'tenant-wide reaches every resource',
    { rules: [tenantWide(send)], permissions: [send], resource: conversation(c2), allowed: true },
  ],
  [
    'exact matching: another permission allows nothing',
    { rules: [tenantWide(restricted)], permissions: [send], allowed: false, missing: [send] },
  ],
  [
    'resource-scoped does not meet a check without resource',
    { rules: [scoped(send, 'conversation', c1)], permissions: [send], allowed: false },
  ],
  [
    'resource-scoped meets a check on that resource',
    {
      rules: [scoped(send, 'conversation', c1)],
      permissions: [send],
      resource: conversation(c1),
      allowed: true,
    },
  ],
  [
    'resource-scoped does not reach another resource',
    {
      rules: [scoped(send, 'conversation', c1)],
      permissions: [send],
      resource: conversation(c2),
      allowed: false,
    },
  ],
  [
    'resource-scoped does not reach another type with the same id',
    {
      rules: [scoped(send, 'conversation', c1)],
      permissions: [send],
      resource: { type: 'file', id: c1 },
      allowed: false,
    },
  ],
  [
    'ownership: a resource the actor owns',
    { rules: [owned(read)], permissions: [read], resource: file(actor.userId), allowed: true },
  ],
  [
    'ownership: a resource someone else owns',
    { rules: [owned(read)], permissions: [read], resource: file(someoneElse), allowed: false },
  ],
  [
    'ownership: a resource without owner',
    { rules: [owned(read)], permissions: [read], resource: file(), allowed: false },
  ],
  ['ownership: a check without resource', { rules: [owned(read)], permissions: [read], allowed: false }],
  [
    'scoped and owned: that resource, owned',
    {
      rules: [{ action: read, subject: 'file', conditions: { id: f1, ownerId: actor.userId } }],
      permissions: [read],
      resource: file(actor.userId),
      allowed: true,
    },
  ],
  [
    'scoped and owned: that resource, owned by someone else',
    {
      rules: [{ action: read, subject: 'file', conditions: { id: f1, ownerId: actor.userId } }],
      permissions: [read],
      resource: file(someoneElse),
      allowed: false,
    },
  ],
  [
    'empty conditions count as none',
    { rules: [{ action: send, subject: 'all', conditions: {} }], permissions: [send], allowed: true },
  ],
  [
    'AND: one of two held',
    {
      rules: [tenantWide(send)],
      permissions: [send, restricted],
      allowed: false,
      missing: [restricted],
    },
  ],
  [
    'AND: both held, one tenant-wide and one on the resource',
    {
      rules: [tenantWide(send), scoped(restricted, 'conversation', c1)],
      permissions: [send, restricted],
      resource: conversation(c1),
      allowed: true,
    },
  ],
  [
    'AND on the resource: the scoped one is elsewhere',
    {
      rules: [tenantWide(send), scoped(restricted, 'conversation', c2)],
      permissions: [send, restricted],
      resource: conversation(c1),
      allowed: false,
      missing: [restricted],
    },
  ],
  [
    'anyOf: one of two held',
    { rules: [tenantWide(restricted)], permissions: [send, restricted], match: 'any', allowed: true },
  ],
  [
    'anyOf: none held',
    {
      rules: [scoped(send, 'conversation', c1)],
      permissions: [send, restricted],
      match: 'any',
      allowed: false,
      missing: [send, restricted],
    },
  ],
  [
    'the actor’s own tenant as a resource',
    {
      rules: [tenantWide(send)],
      permissions: [send],
      resource: { type: 'tenant', id: actor.tenantId },
      allowed: true,
    },
  ],
  [
    'another tenant as a resource',
    {
      rules: [tenantWide(send)],
      permissions: [send],
      resource: { type: 'tenant', id: otherTenant },
      allowed: false,
      reason: 'other_tenant',
      missing: [send],
    },
  ],
  [
    'a resource of another tenant',
    {
      rules: [tenantWide(send)],
      permissions: [send],
      resource: conversation(c1, { tenantId: otherTenant }),
      allowed: false,
      reason: 'other_tenant',
      missing: [send],
    },
  ],
  [
    'a resource of the actor’s tenant',
    {
      rules: [scoped(send, 'conversation', c1)],
      permissions: [send],
      resource: conversation(c1, { tenantId: actor.tenantId }),
      allowed: true,
    },
  ],
  [
    'nothing required is nothing allowed',
    { rules: [tenantWide(send)], permissions: [], allowed: false, missing: [] },
  ],
];

describe('CompiledPermissions', () => {
  it.each(cases)('%s', (_name, check) => {
    const compiled = new CompiledPermissions(check.rules);
    const evaluation = compiled.evaluate(actor, check.permissions, check.match ?? 'all', check.resource);
    expect(evaluation).toEqual({
      allowed: check.allowed,
      reason: check.reason ?? (check.allowed ? 'assigned' : 'no_assignment'),
      missing: check.allowed ? [] : (check.missing ?? check.permissions),
    });
    if (check.permissions.length === 1) {
      expect(compiled.allows(actor, check.permissions[0] as string, check.resource)).toBe(check.allowed);
    }
  });

  it('leaves the rules it was given untouched', () => {
    const rules: CaslRule[] = [scoped(send, 'conversation', c1)];
    const compiled = new CompiledPermissions(rules);
    compiled.allows(actor, send, conversation(c1));
    expect(rules).toEqual([scoped(send, 'conversation', c1)]);
    expect(compiled.rules).toBe(rules);
  });
});
