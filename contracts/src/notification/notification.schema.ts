import { z } from 'zod';
import { idSchema, timestampSchema } from '../common.js';

/**
 * The limits of the notification service. Exceeding one is refused with `limit_exceeded` and
 * `details: { limit, max }` naming it: the input is well formed, there is only too much of it.
 */
export const notificationLimits = {
  /** Recipients of one `notification.create` request. */
  recipients: 1_000,
  /** Bytes of the JSON of a notification's `data`. */
  data_bytes: 4_096,
  /** Tenants named by one system alert. */
  alert_tenants: 1_000,
  /** Preference choices changed by one request. */
  preference_items: 100,
} as const;
export type NotificationLimit = keyof typeof notificationLimits;

/** How much a notification asks for attention. `urgent` is emailed at once, quiet hours or not. */
export const notificationPriorities = ['low', 'normal', 'high', 'urgent'] as const;
export type NotificationPriority = (typeof notificationPriorities)[number];

/** new → read → dismissed; new → dismissed. Only `new` notifications count as unread. */
export const notificationStatuses = ['new', 'read', 'dismissed'] as const;
export type NotificationStatus = (typeof notificationStatuses)[number];

/** Where a notification reaches its recipient: the in-app inbox (and realtime), or email. */
export const notificationChannels = ['in_app', 'email'] as const;
export type NotificationChannel = (typeof notificationChannels)[number];

/**
 * The types the platform itself produces. An integration names its own types (`assignment_due`),
 * never one of these: a notification that looks like a mention always comes from a mention.
 */
export const builtInNotificationTypes = [
  'message',
  'mention',
  'reply',
  'reaction',
  'conversation_added',
  'moderation_approved',
  'moderation_rejected',
  'message_removed',
  'file_rejected',
  'broadcast',
  'alert',
] as const;
export type BuiltInNotificationType = (typeof builtInNotificationTypes)[number];

/** A notification type: lowercase snake_case, like every enumerated value in Parley. */
export const notificationTypeSchema = z
  .string()
  .min(2)
  .max(63)
  .regex(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/, 'Lowercase snake_case')
  .describe('Notification type: one of the built-in types or one an integration chose');

/** A type an integration may create: any type except the built-in ones. */
export const integrationTypeSchema = notificationTypeSchema.refine(
  (value) => !(builtInNotificationTypes as readonly string[]).includes(value),
  'Built-in types are produced by the platform only',
);

/**
 * Whether a channel is on when neither the user nor the tenant chose: the inbox always, email
 * for everything but the two types that come in floods (every message, every reaction).
 */
export function defaultChannelChoice(type: string, channel: NotificationChannel): boolean {
  return channel === 'in_app' || (type !== 'message' && type !== 'reaction');
}

/** Free text shown to people: trimmed, no control characters except line breaks in bodies. */
const titleSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((value) => !/\p{Cc}/u.test(value), 'Control characters are not allowed');
const bodySchema = z
  .string()
  .trim()
  .min(1)
  .max(2_000)
  .refine(
    (value) => !/(?![\n\t])\p{Cc}/u.test(value),
    'Control characters other than line breaks are not allowed',
  );

/** What a client needs to open the thing a notification is about (conversation, message, file…). */
export const notificationDataSchema = z
  .record(z.string().max(64), z.unknown())
  .describe(`Free-form JSON object, at most ${notificationLimits.data_bytes} bytes`);

/** The content of a notification as its creator gives it. */
export const notificationContentSchema = z.object({
  title: titleSchema,
  body: bodySchema,
  data: notificationDataSchema.default({}),
  priority: z.enum(notificationPriorities).default('normal'),
});
export type NotificationContent = z.output<typeof notificationContentSchema>;

/** Chosen by a caller so that repeating a command changes nothing (a retry, a replayed job). */
export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'Letters, digits and . _ : -')
  .describe('Caller-chosen key: the same key again returns the first result and creates nothing');

export const notificationSchema = z.object({
  id: idSchema,
  tenantId: idSchema,
  recipientId: idSchema.describe('The user the notification is for'),
  type: notificationTypeSchema,
  title: z.string(),
  body: z.string(),
  data: z.record(z.string(), z.unknown()),
  priority: z.enum(notificationPriorities),
  status: z.enum(notificationStatuses),
  actorId: idSchema.nullable().describe('Who caused it (sender, reactor, moderator…); null for the platform'),
  createdAt: timestampSchema,
  readAt: timestampSchema.nullable(),
  dismissedAt: timestampSchema.nullable(),
});
export type Notification = z.infer<typeof notificationSchema>;

/** `HH:MM`, 00:00 to 23:59. */
const clockTimeSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 00:00 to 23:59');

const timeZoneSchema = z
  .string()
  .min(1)
  .max(64)
  .refine((value) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: value });
      return true;
    } catch {
      return false;
    }
  }, 'An IANA time zone such as Europe/Paris')
  .describe('IANA time zone');

/**
 * A daily period without email: from `start` (inclusive) to `end` (exclusive) local time; an end
 * before the start wraps past midnight. Emails due inside it wait for its end, urgent ones excepted.
 */
export const quietHoursSchema = z
  .object({ start: clockTimeSchema, end: clockTimeSchema, timeZone: timeZoneSchema.default('UTC') })
  .refine((value) => value.start !== value.end, { message: 'Start and end differ', path: ['end'] });
export type QuietHours = z.output<typeof quietHoursSchema>;

/** One choice: a channel on or off for a type. */
export const preferenceChoiceSchema = z.object({
  type: notificationTypeSchema,
  channel: z.enum(notificationChannels),
  isEnabled: z.boolean(),
});
export type PreferenceChoice = z.infer<typeof preferenceChoiceSchema>;

/** Where an effective choice comes from: the user, the tenant's defaults, or the platform. */
export const preferenceSources = ['user', 'tenant', 'default'] as const;
export type PreferenceSource = (typeof preferenceSources)[number];

/** What holds for a user: each type and channel with its source, and the quiet hours in force. */
export const preferencesViewSchema = z.object({
  items: z.array(preferenceChoiceSchema.extend({ source: z.enum(preferenceSources) })),
  quietHours: quietHoursSchema.nullable(),
  quietHoursSource: z.enum(preferenceSources),
});
export type PreferencesView = z.infer<typeof preferencesViewSchema>;

/** A tenant's defaults: what its users get where they made no choice. */
export const tenantPreferencesSchema = z.object({
  items: z.array(preferenceChoiceSchema),
  quietHours: quietHoursSchema.nullable(),
});
export type TenantPreferences = z.infer<typeof tenantPreferencesSchema>;

/** A change of choices: `isEnabled: null` removes the choice, so the default holds again. */
export const preferenceChangeSchema = z.object({
  items: z
    .array(preferenceChoiceSchema.extend({ isEnabled: z.boolean().nullable() }))
    .default([])
    .refine(
      (items) => new Set(items.map((item) => `${item.type}/${item.channel}`)).size === items.length,
      'Each type and channel may appear once',
    ),
  quietHours: quietHoursSchema.nullable().optional().describe('null removes them; absent leaves them'),
});

/** A tenant broadcast reaches every active user of one tenant; a system alert, of several. */
export const broadcastKinds = ['broadcast', 'alert'] as const;
export type BroadcastKind = (typeof broadcastKinds)[number];

/** pending → running → completed. A running job resumes where it stopped after a restart. */
export const broadcastStatuses = ['pending', 'running', 'completed'] as const;
export type BroadcastStatus = (typeof broadcastStatuses)[number];

/** The fan-out job of a broadcast to one tenant. */
export const broadcastSchema = z.object({
  id: idSchema,
  tenantId: idSchema.describe('The tenant whose users receive it'),
  kind: z.enum(broadcastKinds),
  alertId: idSchema.nullable().describe('The system alert this job belongs to; null for a tenant broadcast'),
  senderId: idSchema,
  title: z.string(),
  body: z.string(),
  priority: z.enum(notificationPriorities),
  status: z.enum(broadcastStatuses),
  recipientCount: z.number().int().describe('Notifications created so far'),
  createdAt: timestampSchema,
  startedAt: timestampSchema.nullable(),
  completedAt: timestampSchema.nullable(),
});
export type Broadcast = z.infer<typeof broadcastSchema>;

/**
 * Who is reading which conversation right now, written by the realtime edge while a client has a
 * conversation open and refreshed before the TTL runs out. The notification service sends no
 * message notification to a reader. Keys are `<tenantId>.<conversationId>.<userId>`; the value is
 * the ISO time of the last refresh.
 */
export const conversationReaders = {
  /** Canonical bucket name; the namespace is applied like to a stream name. */
  bucket: 'conversation_readers',
  /** An entry disappears this long after its last refresh. */
  ttlMs: 60_000,
  key(tenantId: string, conversationId: string, userId: string): string {
    for (const part of [tenantId, conversationId, userId]) {
      if (!idSchema.safeParse(part).success) {
        throw new Error(`A conversation reader key is made of UUIDs, got "${part}"`);
      }
    }
    return `${tenantId}.${conversationId}.${userId}`;
  },
  value: timestampSchema,
} as const;
