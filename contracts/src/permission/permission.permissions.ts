import { defineCatalog } from './catalog-declaration.js';

/** The permissions the permission service's own operations require. */
export const permissionCatalog = defineCatalog({
  service: 'permission',
  domains: [{ domain: 'permission', description: 'Permission sets, assignments and the catalog' }],
  permissions: [
    {
      permission: 'permission:permission:check',
      description: "Check another actor's permissions",
      resourceTypes: [],
    },
    {
      permission: 'permission:assignment:create',
      description: 'Assign permissions and permission sets in the tenant',
      resourceTypes: [],
    },
    {
      permission: 'permission:assignment:revoke',
      description: 'Revoke assignments in the tenant',
      resourceTypes: [],
    },
    {
      permission: 'permission:assignment:list',
      description: 'List the assignments of the tenant',
      resourceTypes: [],
    },
    {
      permission: 'permission:permission-set:create',
      description: 'Create permission sets of the tenant',
      resourceTypes: [],
    },
    {
      permission: 'permission:permission-set:update',
      description: "Change the tenant's permission sets",
      resourceTypes: [],
    },
    {
      permission: 'permission:permission-set:delete',
      description: "Delete the tenant's permission sets",
      resourceTypes: [],
    },
    {
      permission: 'permission:catalog:list',
      description: 'Read the catalog of permissions',
      resourceTypes: [],
    },
    {
      permission: 'permission:tenant-administrator:bootstrap',
      description: 'Make the first administrator of a tenant (platform operators)',
      resourceTypes: [],
    },
    {
      permission: 'permission:standing:set',
      description: "Set participants' standing in conversations of every tenant (platform services)",
      resourceTypes: [],
    },
  ],
});
