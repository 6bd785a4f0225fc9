import { identityCatalog, permissionCatalog } from '@parley/contracts';
import { describeServiceSchema, withClient } from '@parley/testing';
import { platformOnlyPermissions, systemPermissionSets } from '../src/system-permission-sets.js';

describeServiceSchema({
  service: 'permission',
  table: 'outbox_events',
  migrateCommand: () => import('../src/migrate.js'),
  more: (database) => {
    it('seeds the system permission sets under the ids the service knows them by', async () => {
      const seeded = await withClient(
        database().url,
        async (client) =>
          (
            await client.query<{ id: string; name: string; tenant_id: string | null }>(
              'SELECT id, name, tenant_id FROM permission.permission_sets ORDER BY id',
            )
          ).rows,
      );
      expect(seeded).toEqual(
        Object.values(systemPermissionSets).map((set) => ({ id: set.id, name: set.name, tenant_id: null })),
      );
    });

    it('seeds the identity and permission catalogs exactly as those services declare them', async () => {
      const seeded = await withClient(
        database().url,
        async (client) =>
          (
            await client.query<{
              permission: string;
              service: string;
              description: string;
              resource_types: string;
            }>(
              `SELECT permission, service, description, resource_types::text AS resource_types
             FROM permission.permissions WHERE permission_domain_id IN ('identity', 'permission')
             ORDER BY permission`,
            )
          ).rows,
      );
      const declared = [identityCatalog, permissionCatalog]
        .flatMap((catalog) =>
          catalog.permissions.map((entry) => ({
            permission: entry.permission,
            service: catalog.service,
            description: entry.description,
            resource_types: `{${entry.resourceTypes.join(',')}}`,
          })),
        )
        .sort((a, b) => a.permission.localeCompare(b.permission));
      expect(seeded).toEqual(declared);
    });

    it('keeps platform-only permissions out of tenant-administrator', async () => {
      const members = await withClient(database().url, async (client) =>
        (
          await client.query<{ permission_id: string }>(
            'SELECT permission_id FROM permission.permission_set_members WHERE permission_set_id = $1',
            [systemPermissionSets.tenantAdministrator.id],
          )
        ).rows.map((row) => row.permission_id),
      );
      expect(members).toHaveLength(20);
      for (const permission of platformOnlyPermissions) {
        expect(members).not.toContain(permission);
      }
    });

    it('refuses rows that break the rules of assignments', async () => {
      const attempts = [
        // Neither a permission nor a set; both a permission and a set; a resource type without an id.
        `INSERT INTO permission.assignments (tenant_id, actor_id) VALUES (gen_random_uuid(), gen_random_uuid())`,
        `INSERT INTO permission.assignments (tenant_id, actor_id, permission_id, permission_set_id)
         VALUES (gen_random_uuid(), gen_random_uuid(), 'identity:user:create', '${systemPermissionSets.tenantAdministrator.id}')`,
        `INSERT INTO permission.assignments (tenant_id, actor_id, permission_id, resource_type)
         VALUES (gen_random_uuid(), gen_random_uuid(), 'identity:user:create', 'user')`,
        `INSERT INTO permission.assignments (tenant_id, actor_id, permission_id, conditions)
         VALUES (gen_random_uuid(), gen_random_uuid(), 'identity:user:create', jsonb_build_object('x', repeat('x', 2000)))`,
        `INSERT INTO permission.assignments (tenant_id, actor_id, permission_id, starts_at, expires_at)
         VALUES (gen_random_uuid(), gen_random_uuid(), 'identity:user:create', now(), now())`,
        `INSERT INTO permission.assignments (tenant_id, actor_id, permission_id)
         VALUES (gen_random_uuid(), gen_random_uuid(), 'identity:user:teleport')`,
      ];
      for (const sql of attempts) {
        await expect(withClient(database().url, (client) => client.query(sql))).rejects.toThrow(
          /violates (check|foreign key) constraint "(ck|fk)_assignments_/,
        );
      }
    });
  },
});
