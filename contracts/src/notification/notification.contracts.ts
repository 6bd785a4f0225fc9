import { z } from 'zod';
import { idSchema, pageOf, pageRequest, timestampSchema } from '../common.js';
import { defineEvent, defineRequest } from '../contract.js';
import {
  broadcastSchema,
  idempotencyKeySchema,
  integrationTypeSchema,
  notificationContentSchema,
  notificationSchema,
  preferenceChangeSchema,
  preferencesViewSchema,
  tenantPreferencesSchema,
} from './notification.schema.js';

const service = 'notification';

const unreadCount = z.number().int().min(0).describe("The recipient's unread notifications after the change");
const oneNotification = z.object({ notificationId: idSchema });
const changedNotification = z.object({ notification: notificationSchema, unreadCount });

/**
 * Request/reply operations of the notification service. The inbox operations act on the caller's
 * own notifications only: another user's notification does not exist for them (`not_found`).
 */
export const notificationRequests = {
  list: defineRequest({
    service,
    entity: 'notification',
    verb: 'list',
    summary: "The caller's notifications, newest first, a page at a time; dismissed ones only when asked",
    authentication: 'actor',
    request: z.object({
      unreadOnly: z.boolean().default(false),
      includeDismissed: z.boolean().default(false),
      ...pageRequest(20, 100),
    }),
    response: pageOf(notificationSchema),
  }),
  count: defineRequest({
    service,
    entity: 'notification',
    verb: 'count',
    summary: "The caller's unread notifications",
    authentication: 'actor',
    request: z.object({}),
    response: z.object({ unreadCount }),
  }),
  markRead: defineRequest({
    service,
    entity: 'notification',
    verb: 'mark-read',
    summary: 'Mark one of the caller’s notifications read (again: nothing changes)',
    authentication: 'actor',
    request: oneNotification,
    response: changedNotification,
  }),
  dismiss: defineRequest({
    service,
    entity: 'notification',
    verb: 'dismiss',
    summary: 'Remove one of the caller’s notifications from the inbox (again: nothing changes)',
    authentication: 'actor',
    request: oneNotification,
    response: changedNotification,
  }),
  markAllRead: defineRequest({
    service,
    entity: 'notification',
    verb: 'mark-all-read',
    summary: 'Mark every unread notification of the caller read',
    authentication: 'actor',
    request: z.object({}),
    response: z.object({ markedCount: z.number().int(), unreadCount }),
  }),
  create: defineRequest({
    service,
    entity: 'notification',
    verb: 'create',
    summary:
      'Create a notification for users of the caller’s tenant (integrations: "assignment due"); the same ' +
      'idempotency key again creates nothing. Users the service does not know are refused',
    authentication: 'actor',
    request: notificationContentSchema.extend({
      recipientIds: z
        .array(idSchema)
        .min(1)
        .refine((ids) => new Set(ids).size === ids.length, 'Each recipient may appear once')
        .describe('Users of the tenant, at most 1,000 (limit_exceeded beyond)'),
      type: integrationTypeSchema,
      idempotencyKey: idempotencyKeySchema,
    }),
    response: z.object({
      items: z.array(
        z.object({
          recipientId: idSchema,
          notificationId: idSchema.nullable().describe("null: the recipient's preferences turned it off"),
          isNew: z.boolean().describe('false: an earlier request with the same key created it'),
        }),
      ),
    }),
  }),
  sendBroadcast: defineRequest({
    service,
    entity: 'broadcast',
    verb: 'send',
    summary:
      'Notify every active user of the caller’s tenant; the fan-out runs in the background and resumes ' +
      'after a restart. The same idempotency key again returns the first job',
    authentication: 'actor',
    request: notificationContentSchema.extend({ idempotencyKey: idempotencyKeySchema }),
    response: broadcastSchema,
  }),
  getBroadcast: defineRequest({
    service,
    entity: 'broadcast',
    verb: 'get',
    summary: 'A broadcast or system alert job sent from the caller’s tenant, with its progress',
    authentication: 'actor',
    request: z.object({ broadcastId: idSchema }),
    response: broadcastSchema,
  }),
  sendAlert: defineRequest({
    service,
    entity: 'alert',
    verb: 'send',
    summary:
      'A system alert to every active user of the named tenants, or of every tenant known (platform ' +
      'operators, from the platform tenant); one broadcast job per tenant',
    authentication: 'actor',
    request: notificationContentSchema.extend({
      tenantIds: z
        .array(idSchema)
        .min(1)
        .refine((ids) => new Set(ids).size === ids.length, 'Each tenant may appear once')
        .optional()
        .describe('At most 1,000 tenants (limit_exceeded beyond); absent: every tenant known'),
      idempotencyKey: idempotencyKeySchema,
    }),
    response: z.object({ alertId: idSchema, broadcasts: z.array(broadcastSchema) }),
  }),
  getPreferences: defineRequest({
    service,
    entity: 'preference',
    verb: 'get',
    summary: "The caller's effective preferences: per type and channel, and quiet hours, with their source",
    authentication: 'actor',
    request: z.object({}),
    response: preferencesViewSchema,
  }),
  setPreferences: defineRequest({
    service,
    entity: 'preference',
    verb: 'set',
    summary:
      "Change the caller's choices (null removes one) and quiet hours; answers the effective preferences",
    authentication: 'actor',
    request: preferenceChangeSchema,
    response: preferencesViewSchema,
  }),
  getTenantPreferences: defineRequest({
    service,
    entity: 'tenant-preference',
    verb: 'get',
    summary: "The defaults of the caller's tenant",
    authentication: 'actor',
    request: z.object({}),
    response: tenantPreferencesSchema,
  }),
  setTenantPreferences: defineRequest({
    service,
    entity: 'tenant-preference',
    verb: 'set',
    summary: "Change the defaults of the caller's tenant: what its users get where they made no choice",
    authentication: 'actor',
    request: preferenceChangeSchema,
    response: tenantPreferencesSchema,
  }),
} as const;

/**
 * Events of the notification service, published through its outbox, so that the realtime edge
 * pushes `notification:new` and `notification:count` to the recipient's `user:<id>` room.
 * Notifications turned off for the inbox are never announced.
 */
export const notificationEvents = {
  created: defineEvent({
    service,
    entity: 'notification',
    event: 'created',
    summary: 'A notification arrived in a user’s inbox',
    payload: z.object({
      notification: notificationSchema,
      unreadCount,
      isQuiet: z.boolean().describe("Inside the recipient's quiet hours: count it, do not sound it"),
    }),
  }),
  read: defineEvent({
    service,
    entity: 'notification',
    event: 'read',
    summary: 'A user read one notification, or all of them',
    payload: z.object({
      recipientId: idSchema,
      notificationId: idSchema.nullable().describe('null: every notification unread until readAt'),
      readAt: timestampSchema,
      unreadCount,
    }),
  }),
  dismissed: defineEvent({
    service,
    entity: 'notification',
    event: 'dismissed',
    summary: 'A user removed a notification from the inbox',
    payload: z.object({
      recipientId: idSchema,
      notificationId: idSchema,
      dismissedAt: timestampSchema,
      unreadCount,
    }),
  }),
} as const;
