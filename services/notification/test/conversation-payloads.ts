import { randomUUID } from 'node:crypto';
import type { Conversation, FileInfo, Message, Participant, Standing } from '@parley/contracts';

/** Payload parts as the conversation and file services publish them, for tests that play them. */

const now = (): string => new Date().toISOString();

export function groupOf(createdById: string, participantCount: number, title = 'Study group'): Conversation {
  return {
    id: randomUUID(),
    kind: 'group',
    title,
    topic: null,
    visibility: 'private',
    isRestricted: false,
    isReadOnly: false,
    requiresApproval: false,
    directUserIds: null,
    createdById,
    participantCount,
    lastSequence: 0,
    lastRevision: 0,
    lastActivityAt: now(),
    createdAt: now(),
    updatedAt: now(),
  };
}

export function directOf(a: string, b: string): Conversation {
  const pair = [a, b].sort();
  return { ...groupOf(a, 2), kind: 'direct', title: null, directUserIds: pair };
}

export function participantOf(
  conversationId: string,
  userId: string,
  options: {
    addedById?: string | null;
    mutedUntil?: string | null;
    validUntil?: string | null;
    standing?: Standing;
  } = {},
): Participant {
  return {
    conversationId,
    userId,
    standing: options.standing ?? 'member',
    joinedAt: now(),
    addedById: options.addedById ?? null,
    validUntil: options.validUntil ?? null,
    mutedUntil: options.mutedUntil ?? null,
    lastReadSequence: 0,
    lastReadAt: null,
  };
}

let sequence = 0;

export function messageOf(
  conversationId: string,
  senderId: string,
  options: { body?: string; mentions?: string[]; replyToId?: string | null; status?: Message['status'] } = {},
): Message {
  sequence += 1;
  const status = options.status ?? 'published';
  return {
    id: randomUUID(),
    conversationId,
    sequence: status === 'published' ? sequence : null,
    senderId,
    clientMessageId: randomUUID(),
    body: options.body ?? 'Hello there',
    replyToId: options.replyToId ?? null,
    mentions: options.mentions ?? [],
    attachments: [],
    status,
    rejectionReason: null,
    editedAt: null,
    deletedAt: null,
    createdAt: now(),
    publishedAt: status === 'published' ? now() : null,
    revision: 0,
  };
}

export function rejectedFileOf(tenantId: string, ownerId: string, name = 'report.exe'): FileInfo {
  return {
    id: randomUUID(),
    tenantId,
    ownerId,
    name,
    storageClass: 'short_term_30_days',
    sizeBytes: 1024,
    claimedMimeType: 'application/pdf',
    mimeType: 'application/x-msdownload',
    extension: 'exe',
    sha256: null,
    status: 'rejected',
    rejectionReason: 'type_not_allowed',
    expiresAt: null,
    processedAt: now(),
    createdAt: now(),
  };
}
