import { z } from 'zod';
import { idSchema, pageOf, pageRequest, timestampSchema } from '../common.js';
import { defineEvent, defineRequest } from '../contract.js';
import { standings } from '../permission/permission.schema.js';
import {
  addedStandings,
  bodySchema,
  clientMessageIdSchema,
  conversationSchema,
  conversationSummarySchema,
  discoveredGroupSchema,
  emojiSchema,
  messageSchema,
  messageViewSchema,
  participantSchema,
  titleSchema,
  topicSchema,
  visibilities,
} from './conversation.schema.js';

const service = 'conversation';

const conversationRef = { conversationId: idSchema };
const messageRef = { conversationId: idSchema, messageId: idSchema };

/** A participant to add: a user of the caller's tenant, with a standing and an optional end. */
const newParticipantSchema = z.object({
  userId: idSchema,
  standing: z.enum(addedStandings).default('member'),
  validUntil: timestampSchema.nullable().default(null).describe('When the membership ends (enrollment)'),
});

/** At most this many users per add or create request (one lookup in identity). */
const participantsPerRequest = 100;

const mentionsSchema = z
  .array(idSchema)
  .default([])
  .describe('Mentioned participants, at most 50 (limit_exceeded beyond)');

const groupSettings = {
  topic: topicSchema.nullable().optional(),
  visibility: z.enum(visibilities).optional(),
  isRestricted: z.boolean().optional(),
  isReadOnly: z.boolean().optional(),
  requiresApproval: z.boolean().optional(),
};

const historyPage = pageOf(messageViewSchema);

/** Request/reply operations of the conversation service. */
export const conversationRequests = {
  getOrCreateDirect: defineRequest({
    service,
    entity: 'conversation',
    verb: 'get-or-create-direct',
    summary:
      'The direct conversation between the caller and another user of the tenant, created on first use; ' +
      'concurrent calls yield one conversation',
    authentication: 'actor',
    request: z.object({ userId: idSchema }),
    response: conversationSchema,
  }),
  createGroup: defineRequest({
    service,
    entity: 'conversation',
    verb: 'create',
    summary: 'Create a group: the caller is its owner; the listed users join with their standing',
    authentication: 'actor',
    request: z.object({
      title: titleSchema,
      ...groupSettings,
      visibility: z.enum(visibilities).default('private'),
      participants: z
        .array(newParticipantSchema)
        .max(participantsPerRequest)
        .default([])
        .refine((items) => new Set(items.map((item) => item.userId)).size === items.length, {
          message: 'Each user may appear once',
        }),
    }),
    response: conversationSchema,
  }),
  get: defineRequest({
    service,
    entity: 'conversation',
    verb: 'get',
    summary: 'A conversation and, when the caller takes part in it, the caller’s own participation',
    authentication: 'actor',
    request: z.object(conversationRef),
    response: z.object({ conversation: conversationSchema, me: participantSchema.nullable() }),
  }),
  update: defineRequest({
    service,
    entity: 'conversation',
    verb: 'update',
    summary: 'Change the title or the settings of a group (restricted, read-only, approval, visibility)',
    authentication: 'actor',
    request: z
      .object({ ...conversationRef, title: titleSchema.optional(), ...groupSettings })
      .refine((value) => Object.keys(value).some((key) => key !== 'conversationId'), 'Nothing to change'),
    response: conversationSchema,
  }),
  delete: defineRequest({
    service,
    entity: 'conversation',
    verb: 'delete',
    summary: 'Delete a group: it disappears for everyone; its data is kept',
    authentication: 'actor',
    request: z.object(conversationRef),
    response: z.object({ conversationId: idSchema, deletedAt: timestampSchema }),
  }),
  listMine: defineRequest({
    service,
    entity: 'conversation',
    verb: 'list',
    summary: "The caller's conversations, latest activity first, with unread counts and the last message",
    authentication: 'actor',
    request: z.object({ ...pageRequest(20, 100) }),
    response: pageOf(conversationSummarySchema),
  }),
  discover: defineRequest({
    service,
    entity: 'conversation',
    verb: 'discover',
    summary: 'Public and private groups of the tenant by title prefix, in title order (hidden groups never)',
    authentication: 'actor',
    request: z.object({ query: z.string().trim().max(200).default(''), ...pageRequest(20, 100) }),
    response: pageOf(discoveredGroupSchema),
  }),
  join: defineRequest({
    service,
    entity: 'conversation',
    verb: 'join',
    summary: 'Join a public group as a member (again, after leaving or when the membership ended)',
    authentication: 'actor',
    request: z.object(conversationRef),
    response: participantSchema,
  }),
  addParticipants: defineRequest({
    service,
    entity: 'participant',
    verb: 'add',
    summary:
      'Add users of the tenant to a group, as members unless a standing is given; administrators need ' +
      'conversation:conversation:update as well',
    authentication: 'actor',
    request: z.object({
      ...conversationRef,
      participants: z
        .array(newParticipantSchema)
        .min(1)
        .max(participantsPerRequest)
        .refine((items) => new Set(items.map((item) => item.userId)).size === items.length, {
          message: 'Each user may appear once',
        }),
    }),
    response: z.object({
      added: z.array(participantSchema),
      alreadyParticipants: z.array(idSchema).describe('Left as they were'),
    }),
  }),
  removeParticipant: defineRequest({
    service,
    entity: 'participant',
    verb: 'remove',
    summary: 'Remove a participant from a group; removing an owner needs conversation:conversation:update',
    authentication: 'actor',
    request: z.object({ ...conversationRef, userId: idSchema }),
    response: z.object({ conversationId: idSchema, userId: idSchema, removedAt: timestampSchema }),
  }),
  leave: defineRequest({
    service,
    entity: 'participant',
    verb: 'leave',
    summary: 'Leave a group; its last owner must hand the group over first',
    authentication: 'actor',
    request: z.object(conversationRef),
    response: z.object({ conversationId: idSchema, userId: idSchema, leftAt: timestampSchema }),
  }),
  setStanding: defineRequest({
    service,
    entity: 'participant',
    verb: 'set-standing',
    summary: "Change a participant's standing in a group, or when the membership ends",
    authentication: 'actor',
    request: z.object({
      ...conversationRef,
      userId: idSchema,
      standing: z.enum(standings),
      validUntil: timestampSchema.nullable().default(null),
    }),
    response: participantSchema,
  }),
  mute: defineRequest({
    service,
    entity: 'participant',
    verb: 'mute',
    summary: 'Mute a conversation for the caller until an instant, or unmute it (null)',
    authentication: 'actor',
    request: z.object({ ...conversationRef, mutedUntil: timestampSchema.nullable() }),
    response: participantSchema,
  }),
  listParticipants: defineRequest({
    service,
    entity: 'participant',
    verb: 'list',
    summary: 'The participants of a conversation with their read positions (read receipts), by user id',
    authentication: 'actor',
    request: z.object({ ...conversationRef, ...pageRequest(50, 200) }),
    response: pageOf(participantSchema),
  }),
  send: defineRequest({
    service,
    entity: 'message',
    verb: 'send',
    summary:
      'Send a message; a retry with the same clientMessageId returns the first result. In a group that ' +
      'requires approval, a member’s message waits for a moderator',
    authentication: 'actor',
    request: z.object({
      ...conversationRef,
      clientMessageId: clientMessageIdSchema,
      body: bodySchema,
      replyToId: idSchema.optional(),
      mentions: mentionsSchema,
      attachments: z
        .array(idSchema)
        .default([])
        .describe('Ids of files of the file service, at most 10 (limit_exceeded beyond)'),
    }),
    response: messageSchema,
  }),
  edit: defineRequest({
    service,
    entity: 'message',
    verb: 'edit',
    summary: 'Change the text (and mentions) of one of the caller’s own messages',
    authentication: 'actor',
    request: z.object({ ...messageRef, body: bodySchema, mentions: mentionsSchema }),
    response: messageSchema,
  }),
  deleteMessage: defineRequest({
    service,
    entity: 'message',
    verb: 'delete',
    summary:
      'Delete a message: the sender their own, holders of conversation:message:delete-any anyone’s. It keeps ' +
      'its sequence number, without its text',
    authentication: 'actor',
    request: z.object(messageRef),
    response: messageSchema,
  }),
  history: defineRequest({
    service,
    entity: 'message',
    verb: 'history',
    summary: 'Published messages, newest first, a page at a time (cursor); deleted ones without text',
    authentication: 'actor',
    request: z.object({ ...conversationRef, ...pageRequest(20, 100) }),
    response: historyPage,
  }),
  catchUp: defineRequest({
    service,
    entity: 'message',
    verb: 'catch-up',
    summary: 'Published messages after a sequence number, oldest first: what a reader missed',
    authentication: 'actor',
    request: z.object({
      ...conversationRef,
      afterSequence: z.number().int().min(0),
      limit: z.number().int().min(1).max(100).default(100),
    }),
    response: z.object({
      items: z.array(messageViewSchema),
      hasMore: z.boolean().describe('Ask again after the last item for the rest'),
    }),
  }),
  changes: defineRequest({
    service,
    entity: 'message',
    verb: 'changes',
    summary:
      'Published messages up to a sequence number that changed (edits, deletions, reactions) after a ' +
      'revision number, in revision order, each as it is now: what a reader who was away missed',
    authentication: 'actor',
    request: z.object({
      ...conversationRef,
      afterRevision: z.number().int().min(0),
      throughSequence: z.number().int().min(0).describe('Only messages up to this sequence number'),
      limit: z.number().int().min(1).max(100).default(100),
    }),
    response: z.object({
      items: z.array(messageViewSchema),
      hasMore: z.boolean().describe('Ask again after the last item’s revision for the rest'),
      lastRevision: z
        .number()
        .int()
        .describe('The conversation’s latest revision number when the page was read'),
      coveredRevision: z
        .number()
        .int()
        .describe(
          'Once hasMore is false: every change up to this revision number is in the pages read (changes to ' +
            'later messages all take higher ones). What a reader holding the messages up to throughSequence ' +
            'continues from',
        ),
    }),
  }),
  listReplies: defineRequest({
    service,
    entity: 'message',
    verb: 'list-replies',
    summary: 'The published replies to a message (its thread), oldest first',
    authentication: 'actor',
    request: z.object({ ...messageRef, ...pageRequest(20, 100) }),
    response: historyPage,
  }),
  markRead: defineRequest({
    service,
    entity: 'message',
    verb: 'mark-read',
    summary: 'Move the caller’s read position forward to a sequence number (a read receipt)',
    authentication: 'actor',
    request: z.object({ ...conversationRef, sequence: z.number().int().min(0) }),
    response: z.object({
      conversationId: idSchema,
      lastReadSequence: z.number().int(),
      unreadCount: z.number().int(),
    }),
  }),
  addReaction: defineRequest({
    service,
    entity: 'reaction',
    verb: 'add',
    summary: 'React to a published message with an emoji (once per user and emoji)',
    authentication: 'actor',
    request: z.object({ ...messageRef, emoji: emojiSchema }),
    response: z.object({ messageId: idSchema, emoji: emojiSchema, added: z.boolean() }),
  }),
  removeReaction: defineRequest({
    service,
    entity: 'reaction',
    verb: 'remove',
    summary: 'Take back one of the caller’s reactions',
    authentication: 'actor',
    request: z.object({ ...messageRef, emoji: emojiSchema }),
    response: z.object({ messageId: idSchema, emoji: emojiSchema, removed: z.boolean() }),
  }),
  listPending: defineRequest({
    service,
    entity: 'moderation',
    verb: 'list',
    summary: 'Messages waiting for approval in a group, oldest first',
    authentication: 'actor',
    request: z.object({ ...conversationRef, ...pageRequest(20, 100) }),
    response: pageOf(messageSchema),
  }),
  approve: defineRequest({
    service,
    entity: 'moderation',
    verb: 'approve',
    summary: 'Publish a waiting message: it receives the next sequence number',
    authentication: 'actor',
    request: z.object(messageRef),
    response: messageSchema,
  }),
  reject: defineRequest({
    service,
    entity: 'moderation',
    verb: 'reject',
    summary: 'Refuse a waiting message; the sender learns why',
    authentication: 'actor',
    request: z.object({ ...messageRef, reason: z.string().trim().min(1).max(500).optional() }),
    response: messageSchema,
  }),
} as const;

const participantChange = z.object({ conversationId: idSchema, participant: participantSchema });

/**
 * Events of the conversation service, published through its outbox. Each names its conversation,
 * and each about a published message its sequence number, so that a reader can fan them out and
 * catch up from the last sequence it saw.
 */
export const conversationEvents = {
  conversationCreated: defineEvent({
    service,
    entity: 'conversation',
    event: 'created',
    summary: 'A direct conversation or a group was created, with its first participants',
    payload: z.object({ conversation: conversationSchema, participantIds: z.array(idSchema) }),
  }),
  conversationUpdated: defineEvent({
    service,
    entity: 'conversation',
    event: 'updated',
    summary: "A group's title or settings changed",
    payload: z.object({ conversation: conversationSchema, changedFields: z.array(z.string()) }),
  }),
  conversationDeleted: defineEvent({
    service,
    entity: 'conversation',
    event: 'deleted',
    summary: 'A group was deleted',
    payload: z.object({ conversationId: idSchema, deletedById: idSchema }),
  }),
  participantJoined: defineEvent({
    service,
    entity: 'participant',
    event: 'joined',
    summary: 'A user became a participant: added, or joined a public group',
    payload: participantChange.extend({
      lastRevision: z
        .number()
        .int()
        .default(0)
        .describe(
          'The conversation’s revision number when they joined (with lastReadSequence): changes to the ' +
            'messages they receive take higher ones',
        ),
    }),
  }),
  participantLeft: defineEvent({
    service,
    entity: 'participant',
    event: 'left',
    summary: 'A participant left or was removed',
    payload: z.object({
      conversationId: idSchema,
      userId: idSchema,
      removedById: idSchema.nullable().describe('null when the participant left'),
    }),
  }),
  participantStandingChanged: defineEvent({
    service,
    entity: 'participant',
    event: 'standing-changed',
    summary: "A participant's standing or membership end changed",
    payload: participantChange,
  }),
  participantMuted: defineEvent({
    service,
    entity: 'participant',
    event: 'muted',
    summary: 'A participant muted or unmuted the conversation (for their other devices)',
    payload: participantChange,
  }),
  messageCreated: defineEvent({
    service,
    entity: 'message',
    event: 'created',
    summary: 'A message was published (sent, or approved by a moderator) with its sequence number',
    payload: z.object({ message: messageSchema }),
  }),
  messageEdited: defineEvent({
    service,
    entity: 'message',
    event: 'edited',
    summary: 'A message’s text changed',
    payload: z.object({ message: messageSchema }),
  }),
  messageDeleted: defineEvent({
    service,
    entity: 'message',
    event: 'deleted',
    summary: 'A message was deleted; it keeps its sequence number',
    payload: z.object({ message: messageSchema, deletedById: idSchema }),
  }),
  reactionAdded: defineEvent({
    service,
    entity: 'reaction',
    event: 'added',
    summary: 'A participant reacted to a message',
    payload: z.object({
      conversationId: idSchema,
      messageId: idSchema,
      sequence: z.number().int(),
      revision: z
        .number()
        .int()
        .default(0)
        .describe('The revision number this change took (0: from before revisions)'),
      userId: idSchema,
      emoji: emojiSchema,
    }),
  }),
  reactionRemoved: defineEvent({
    service,
    entity: 'reaction',
    event: 'removed',
    summary: 'A participant took a reaction back',
    payload: z.object({
      conversationId: idSchema,
      messageId: idSchema,
      sequence: z.number().int(),
      revision: z
        .number()
        .int()
        .default(0)
        .describe('The revision number this change took (0: from before revisions)'),
      userId: idSchema,
      emoji: emojiSchema,
    }),
  }),
  receiptUpdated: defineEvent({
    service,
    entity: 'receipt',
    event: 'updated',
    summary: 'A participant read up to a sequence number',
    payload: z.object({
      conversationId: idSchema,
      userId: idSchema,
      lastReadSequence: z.number().int(),
      readAt: timestampSchema,
    }),
  }),
  moderationQueued: defineEvent({
    service,
    entity: 'moderation',
    event: 'queued',
    summary: 'A message waits for approval',
    payload: z.object({ message: messageSchema }),
  }),
  moderationApproved: defineEvent({
    service,
    entity: 'moderation',
    event: 'approved',
    summary: 'A moderator approved a waiting message (message.created follows with its sequence number)',
    payload: z.object({ message: messageSchema, moderatorId: idSchema }),
  }),
  moderationRejected: defineEvent({
    service,
    entity: 'moderation',
    event: 'rejected',
    summary: 'A moderator refused a waiting message',
    payload: z.object({ message: messageSchema, moderatorId: idSchema, reason: z.string().nullable() }),
  }),
} as const;
