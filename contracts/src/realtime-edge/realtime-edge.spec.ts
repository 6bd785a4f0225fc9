import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { buildRealtimeAsyncApi } from '../generate.js';
import {
  defineCommand,
  defineSocketEvent,
  presenceKey,
  realtimeCommands,
  realtimeEvents,
  revocationKey,
  roomEnvelopeSchema,
  roomSubject,
} from './index.js';

const tenantId = randomUUID();
const id = randomUUID();

describe('room subjects', () => {
  it('put the tenant in every room subject', () => {
    expect(roomSubject({ tenantId, kind: 'conversation', id })).toBe(
      `realtime-edge.v1.rooms.${tenantId}.conversation.${id}`,
    );
  });

  it('refuse ids that would break the subject', () => {
    expect(() => roomSubject({ tenantId: '*', kind: 'user', id })).toThrow(/tenant id/);
    expect(() => roomSubject({ tenantId, kind: 'user', id: 'a.b' })).toThrow(/Invalid id/);
  });

  it('build KV keys from ids only', () => {
    expect(presenceKey(tenantId, id)).toBe(`${tenantId}.${id}`);
    expect(revocationKey(tenantId, id)).toBe(`${tenantId}.${id}`);
    expect(() => presenceKey(tenantId, '>')).toThrow();
  });

  it('read envelopes of both kinds', () => {
    expect(
      roomEnvelopeSchema.parse({ kind: 'end-session', sessionId: null, reason: 'user_suspended' }),
    ).toEqual({
      kind: 'end-session',
      sessionId: null,
      reason: 'user_suspended',
    });
    expect(roomEnvelopeSchema.safeParse({ kind: 'emit', event: 'typing', data: {} }).success).toBe(false);
  });
});

describe('Socket.IO contracts', () => {
  it('name every event domain:action (or one of the single words)', () => {
    for (const entry of [...Object.values(realtimeCommands), ...Object.values(realtimeEvents)]) {
      expect(entry.event).toMatch(/^[a-z-]+(:[a-z-]+)?$/);
    }
    expect(() =>
      defineCommand({ event: 'Message:Send', summary: '', payload: z.object({}), ack: z.object({}) }),
    ).toThrow(/Invalid Socket.IO event name/);
    expect(() =>
      defineSocketEvent({ event: 'a:b:c', summary: '', payload: z.object({}), audience: '' }),
    ).toThrow();
    const names = Object.values(realtimeCommands).map((command) => command.event);
    expect(new Set(names).size).toBe(names.length);
  });

  it('accept a message to a conversation or to a user, never both or neither', () => {
    const payload = realtimeCommands.messageSend.payload;
    const base = { clientMessageId: 'm1', body: 'hi' };
    expect(payload.safeParse({ ...base, conversationId: id }).success).toBe(true);
    expect(payload.safeParse({ ...base, toUserId: id }).success).toBe(true);
    expect(payload.safeParse({ ...base, toUserId: id, conversationId: id }).success).toBe(false);
    expect(payload.safeParse(base).success).toBe(false);
  });

  it('bound sync and presence requests', () => {
    const many = Object.fromEntries(Array.from({ length: 501 }, () => [randomUUID(), 0]));
    expect(realtimeCommands.conversationSync.payload.safeParse({ conversations: many }).success).toBe(false);
    expect(realtimeCommands.presenceSubscribe.payload.safeParse({ userIds: [id, id] }).success).toBe(false);
  });
});

describe('the realtime AsyncAPI document', () => {
  const doc = buildRealtimeAsyncApi() as {
    asyncapi: string;
    channels: Record<string, { address: string | null }>;
    operations: Record<string, { action: string; description?: string }>;
  };

  it('describes every command with its acknowledgement and every server event', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    const addresses = Object.values(doc.channels).map((channel) => channel.address);
    for (const command of Object.values(realtimeCommands)) {
      expect(addresses).toContain(command.event);
    }
    for (const event of Object.values(realtimeEvents)) {
      expect(addresses).toContain(event.event);
    }
    expect(addresses).toContain('connect_error');
    expect(addresses).toContain('realtime-edge.v1.rooms.{tenantId}.{kind}.{id}');
    expect(doc.operations['MessageSend']).toMatchObject({
      action: 'receive',
      description: "Relayed to conversation.v1.message.send with the connection's access token.",
    });
    expect(doc.operations['ConversationSync']?.description).toBe('Handled by the edge.');
    expect(doc.operations['MessageNewEvent']?.action).toBe('send');
  });
});
