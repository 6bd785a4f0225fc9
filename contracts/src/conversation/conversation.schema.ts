import { z } from 'zod';
import { idSchema, timestampSchema } from '../common.js';
import { standings } from '../permission/permission.schema.js';

/**
 * The limits of the conversation service. Exceeding one is refused with `limit_exceeded` and
 * `details: { limit, max }` naming it (not `validation_failed`): the input is well formed, there is
 * only too much of it. The schemas below accept larger values on purpose so that the service can
 * answer with the typed error.
 */
export const conversationLimits = {
  /** Characters of a message body. */
  body_length: 16_000,
  /** Participants of one group, counting those whose membership has ended but who were not removed. */
  participants: 5_000,
  /** Users mentioned by one message. */
  mentions: 50,
  /** Files attached to one message. */
  attachments: 10,
  /** Characters of a group's title. */
  title_length: 200,
  /** Characters of a group's topic. */
  topic_length: 1_000,
} as const;
export type ConversationLimit = keyof typeof conversationLimits;

export const conversationKinds = ['direct', 'group'] as const;
export type ConversationKind = (typeof conversationKinds)[number];

/**
 * Who sees a group: `public` is listed in discovery and anyone of the tenant may join; `private`
 * is listed, but only its administrators add participants; `hidden` is not listed and, to those
 * outside it, does not exist. A direct conversation is always `private`.
 */
export const visibilities = ['public', 'private', 'hidden'] as const;
export type Visibility = (typeof visibilities)[number];

/**
 * Where a message stands: `published` has its sequence number; `pending` waits in the moderation
 * queue of a group that requires approval; `rejected` was refused by a moderator and never gets a
 * sequence number.
 */
export const messageStatuses = ['published', 'pending', 'rejected'] as const;
export type MessageStatus = (typeof messageStatuses)[number];

const noControlCharacters = (value: string) => !/\p{Cc}/u.test(value);

/** A group's title: trimmed, no control characters; its length is a limit (title_length). */
export const titleSchema = z
  .string()
  .trim()
  .min(1)
  .refine(noControlCharacters, 'Control characters are not allowed')
  .describe(`Title of a group, at most ${conversationLimits.title_length} characters`);

/** A group's topic; its length is a limit (topic_length). Line breaks are allowed. */
export const topicSchema = z
  .string()
  .trim()
  .min(1)
  .refine(
    (value) => !/(?![\t\n\r])\p{Cc}/u.test(value),
    'Control characters other than line breaks and tabs are not allowed',
  )
  .describe(`Topic of a group, at most ${conversationLimits.topic_length} characters`);

/** A message body; its length is a limit (body_length). It may be empty when files are attached. */
export const bodySchema = z
  .string()
  .refine((value) => !value.includes('\0'), 'NUL characters are not allowed')
  .describe(`Message text, at most ${conversationLimits.body_length} characters`);

/** Chosen by the client for each message it sends, so that a retry returns the first result. */
export const clientMessageIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'Letters, digits, "-" and "_"')
  .describe('Client-chosen id of the message, unique per sender and conversation (a UUID, for example)');

/** One emoji: a Unicode emoji or a short code (`:tada:`), without spaces. */
export const emojiSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[^\s\p{Cc}]+$/u, 'One emoji or short code, without spaces')
  .describe('A Unicode emoji or a short code such as :tada:');

/** A standing as a request may give it when adding a participant: never `owner`. */
export const addedStandings = ['administrator', 'member', 'guest'] as const;

export const conversationSchema = z.object({
  id: idSchema,
  kind: z.enum(conversationKinds),
  title: z.string().nullable().describe('null for a direct conversation'),
  topic: z.string().nullable(),
  visibility: z.enum(visibilities),
  isRestricted: z
    .boolean()
    .describe('Only owners and administrators post (conversation:message:send-restricted)'),
  isReadOnly: z.boolean().describe('Nobody posts; the history stays readable'),
  requiresApproval: z.boolean().describe('Posts of members wait for a moderator'),
  directUserIds: z
    .array(idSchema)
    .nullable()
    .describe('The two users of a direct conversation, lower id first; null for a group'),
  createdById: idSchema,
  participantCount: z.number().int(),
  lastSequence: z
    .number()
    .int()
    .describe('Sequence number of the latest published message; 0 before the first'),
  lastRevision: z
    .number()
    .int()
    .default(0)
    .describe('Revision number of the latest change to a published message; 0 before the first'),
  lastActivityAt: timestampSchema,
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});
export type Conversation = z.infer<typeof conversationSchema>;

export const participantSchema = z.object({
  conversationId: idSchema,
  userId: idSchema,
  standing: z.enum(standings).describe('For display: the assignment in the permission service decides'),
  joinedAt: timestampSchema,
  addedById: idSchema.nullable().describe('Who added the participant; null when they joined or created it'),
  validUntil: timestampSchema.nullable().describe('When the membership ends; null when it does not'),
  mutedUntil: timestampSchema.nullable(),
  lastReadSequence: z.number().int(),
  lastReadAt: timestampSchema.nullable(),
});
export type Participant = z.infer<typeof participantSchema>;

export const messageSchema = z.object({
  id: idSchema,
  conversationId: idSchema,
  sequence: z
    .number()
    .int()
    .nullable()
    .describe('Gapless per conversation, from 1; null while pending or when rejected'),
  senderId: idSchema,
  clientMessageId: clientMessageIdSchema,
  body: z.string().nullable().describe('null once deleted'),
  replyToId: idSchema.nullable().describe('The message this one answers (its thread)'),
  mentions: z.array(idSchema),
  attachments: z.array(idSchema).describe('Ids of files of the file service'),
  status: z.enum(messageStatuses),
  rejectionReason: z.string().nullable().describe('Why a moderator refused it'),
  editedAt: timestampSchema.nullable(),
  deletedAt: timestampSchema.nullable(),
  createdAt: timestampSchema,
  publishedAt: timestampSchema.nullable(),
  revision: z
    .number()
    .int()
    .default(0)
    .describe(
      'The conversation’s revision number of the latest change (edit, deletion, reaction) since it was ' +
        'published; 0 when it has not changed',
    ),
});
export type Message = z.infer<typeof messageSchema>;

export const reactionSummarySchema = z.object({
  emoji: emojiSchema,
  count: z.number().int(),
  reactedByMe: z.boolean(),
});

/** A message as a reader sees it: with the reactions it received. */
export const messageViewSchema = messageSchema.extend({ reactions: z.array(reactionSummarySchema) });
export type MessageView = z.infer<typeof messageViewSchema>;

/** One of the caller's conversations, as the conversation list shows it. */
export const conversationSummarySchema = z.object({
  conversation: conversationSchema,
  me: participantSchema,
  unreadCount: z
    .number()
    .int()
    .describe('Live messages of others after my read position, counted up to 1,000'),
  lastMessage: messageSchema.nullable().describe('The latest message that is not deleted'),
});
export type ConversationSummary = z.infer<typeof conversationSummarySchema>;

/** A group as discovery lists it. */
export const discoveredGroupSchema = z.object({
  conversation: conversationSchema,
  isParticipant: z.boolean(),
});
