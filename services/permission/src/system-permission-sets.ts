import type { Standing } from '@parley/contracts';

/**
 * The system permission sets seeded by sql/permission/0002_seed_catalog_and_system_sets.sql, by
 * their fixed ids. A test checks that the seed and this list agree.
 */
export const systemPermissionSets = {
  platformOperator: { id: '0190a000-0000-7000-8000-000000000001', name: 'platform-operator' },
  tenantAdministrator: { id: '0190a000-0000-7000-8000-000000000002', name: 'tenant-administrator' },
  conversationOwner: { id: '0190a000-0000-7000-8000-000000000003', name: 'conversation-owner' },
  conversationAdministrator: {
    id: '0190a000-0000-7000-8000-000000000004',
    name: 'conversation-administrator',
  },
  conversationMember: { id: '0190a000-0000-7000-8000-000000000005', name: 'conversation-member' },
  conversationGuest: { id: '0190a000-0000-7000-8000-000000000006', name: 'conversation-guest' },
  platformService: { id: '0190a000-0000-7000-8000-000000000007', name: 'platform-service' },
  fileOwner: { id: '0190a000-0000-7000-8000-000000000008', name: 'file-owner' },
  tenantUser: { id: '0190a000-0000-7000-8000-000000000009', name: 'tenant-user' },
} as const;

/** The permission set of each standing in a conversation. */
export const standingPermissionSets = {
  owner: systemPermissionSets.conversationOwner.id,
  administrator: systemPermissionSets.conversationAdministrator.id,
  member: systemPermissionSets.conversationMember.id,
  guest: systemPermissionSets.conversationGuest.id,
} as const satisfies Record<Standing, string>;

/**
 * Permissions that act beyond one tenant. They may be given only in the platform tenant (directly,
 * through a tenant permission set, or through `platform-operator`), so that administering one
 * tenant never leads to administering another.
 */
export const platformOnlyPermissions: ReadonlySet<string> = new Set([
  'identity:tenant:create',
  'permission:tenant-administrator:bootstrap',
  'permission:standing:set',
  'notification:alert:send',
]);

/**
 * Tenant of the events that concern no tenant in particular (catalog.changed): the nil UUID, so
 * that the subject still follows the grammar. Subscribers use `*` in the tenant position.
 */
export const platformWideTenantId = '00000000-0000-0000-0000-000000000000';
