import { defineCatalog } from '../permission/catalog-declaration.js';

/**
 * The permissions the notification service's operations require. The first three match the seed
 * of the permission service (sql/permission/0004), so registering them changes nothing. A user's
 * own inbox and preferences need no permission: they are the actor's own.
 */
export const notificationCatalog = defineCatalog({
  service: 'notification',
  domains: [{ domain: 'notification', description: 'Notifications, broadcasts and alerts' }],
  permissions: [
    {
      permission: 'notification:notification:create',
      description: 'Create notifications for users of the tenant (integrations)',
      resourceTypes: [],
    },
    {
      permission: 'notification:broadcast:send',
      description: 'Send a broadcast to every user of the tenant',
      resourceTypes: [],
    },
    {
      permission: 'notification:alert:send',
      description: 'Send a system alert to users of every tenant (platform operators)',
      resourceTypes: [],
    },
    {
      permission: 'notification:tenant-preference:update',
      description: "Set the tenant's default notification preferences",
      resourceTypes: [],
    },
  ],
});

/** A permission of the notification service's catalog. */
export type NotificationPermission = (typeof notificationCatalog.permissions)[number]['permission'];
