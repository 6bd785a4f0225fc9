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
} as const;

/**
 * Permissions that act beyond one tenant. They may be given only in the platform tenant (directly,
 * through a tenant permission set, or through `platform-operator`), so that administering one
 * tenant never leads to administering another.
 */
export const platformOnlyPermissions: ReadonlySet<string> = new Set([
  'identity:tenant:create',
  'permission:tenant-administrator:bootstrap',
]);

/**
 * Tenant of the events that concern no tenant in particular (catalog.changed): the nil UUID, so
 * that the subject still follows the grammar. Subscribers use `*` in the tenant position.
 */
export const platformWideTenantId = '00000000-0000-0000-0000-000000000000';
