import { defineCatalog } from '../permission/catalog-declaration.js';

/** The permissions identity's operations require. */
export const identityCatalog = defineCatalog({
  service: 'identity',
  domains: [{ domain: 'identity', description: 'Tenants, users and sessions' }],
  permissions: [
    {
      permission: 'identity:tenant:create',
      description: 'Create tenants (platform operators)',
      resourceTypes: [],
    },
    {
      permission: 'identity:user:create',
      description: 'Register people, bots and service accounts in the tenant',
      resourceTypes: [],
    },
    {
      permission: 'identity:user:update',
      description: "Change other users' profiles in the tenant",
      resourceTypes: ['user'],
    },
    {
      permission: 'identity:user:suspend',
      description: 'Suspend and reactivate users of the tenant',
      resourceTypes: ['user'],
    },
    {
      permission: 'identity:user:delete',
      description: 'Delete users of the tenant',
      resourceTypes: ['user'],
    },
    {
      permission: 'identity:session:revoke',
      description: "Revoke other users' sessions in the tenant",
      resourceTypes: ['user'],
    },
  ],
});
