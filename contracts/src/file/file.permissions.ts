import { defineCatalog } from '../permission/catalog-declaration.js';

/**
 * The permissions the file service's operations require. An owner holds read and delete on its
 * own files through the `file-owner` permission set (assigned with `ownedByActor`); a tenant's
 * administrators hold them tenant-wide.
 */
export const fileCatalog = defineCatalog({
  service: 'file',
  domains: [{ domain: 'file', description: 'Stored files and their downloads' }],
  permissions: [
    {
      permission: 'file:file:create',
      description: 'Store files in the tenant',
      resourceTypes: [],
    },
    {
      permission: 'file:file:read',
      description: 'Read a file and its metadata',
      resourceTypes: ['file'],
    },
    {
      permission: 'file:file:delete',
      description: 'Delete a file',
      resourceTypes: ['file'],
    },
  ],
});
