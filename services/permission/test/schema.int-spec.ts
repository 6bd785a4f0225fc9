import pg from 'pg';
import { checkLoginConfinement, checkSqlConventions } from '@parley/db';
import { configureLogging } from '@parley/logging';
import { createTestDatabase, urlForLogin, withClient, type TestDatabase } from '@parley/testing';
import { identityCatalog, permissionCatalog } from '@parley/contracts';
import { platformOnlyPermissions, systemPermissionSets } from '../src/system-permission-sets.js';
import { permissionLogin, migratedPermissionDatabase } from './permission.harness.js';

describe('permission schema', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await migratedPermissionDatabase();
    // A neighbour the permission login must not reach.
    await withClient(database.url, async (client) => {
      await client.query('CREATE SCHEMA neighbour');
      await client.query('CREATE TABLE neighbour.secrets (id integer PRIMARY KEY, value text)');
      await client.query("INSERT INTO neighbour.secrets VALUES (1, 'hidden')");
    });
  });
  afterAll(() => database.drop());

  it('follows docs/00010-conventions-sql.md', async () => {
    const violations = await withClient(database.url, (client) => checkSqlConventions(client, 'permission'));
    expect(violations).toEqual([]);
  });

  it('confines the permission login to its own schema', async () => {
    const login = new pg.Client({ connectionString: urlForLogin(database.url, permissionLogin) });
    await login.connect();
    try {
      expect(await checkLoginConfinement(login, 'permission')).toEqual([]);
      await expect(login.query('SELECT value FROM neighbour.secrets')).rejects.toThrow(/permission denied/);
      await expect(login.query('CREATE TABLE permission.intruder (id integer)')).rejects.toThrow(
        /permission denied/,
      );
      await expect(login.query('SELECT count(*) FROM permission.outbox_events')).resolves.toMatchObject({
        rowCount: 1,
      });
    } finally {
      await login.end();
    }
  });

  it('seeds the system permission sets under the ids the service knows them by', async () => {
    const seeded = await withClient(
      database.url,
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
      database.url,
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
    const members = await withClient(database.url, async (client) =>
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
      await expect(withClient(database.url, (client) => client.query(sql))).rejects.toThrow(
        /violates (check|foreign key) constraint "(ck|fk)_assignments_/,
      );
    }
  });

  it('is migrated by src/migrate.ts from sql/permission/', async () => {
    const target = await createTestDatabase();
    const variables = {
      DATABASE_ADMIN_URL: target.url,
      DATABASE_URL: urlForLogin(target.url, permissionLogin),
    };
    const saved = Object.keys(variables).map((key) => [key, process.env[key]] as const);
    try {
      configureLogging({ service: 'permission', level: 'silent' });
      Object.assign(process.env, variables);
      await import('../src/migrate.js');
      expect(process.exitCode).toBe(0);
      const applied = await withClient(target.url, (client) =>
        client.query<{ name: string }>('SELECT name FROM permission.schema_migrations ORDER BY name'),
      );
      expect(applied.rows.map((row) => row.name)).toEqual(
        expect.arrayContaining([
          'permission/0001_permission_schema.sql',
          'permission/0002_seed_catalog_and_system_sets.sql',
        ]),
      );
    } finally {
      for (const [key, value] of saved) {
        if (value === undefined) {
          delete process.env[key];
        } else {
          process.env[key] = value;
        }
      }
      process.exitCode = undefined;
      await target.drop();
    }
  });
});
