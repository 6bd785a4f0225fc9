import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Kvm } from '@nats-io/kv';
import {
  conversationReaders,
  identityRequests,
  permissionRequests,
  realtimeCommands as commands,
  roomSubject,
  type Conversation,
  type MessageView,
  type RoomEnvelope,
  type SyncOutcome,
  type Tenant,
} from '@parley/contracts';
import { ParleyClient, type Resumption } from '@parley/client';
import { eventually } from '@parley/testing';
import { EventFanout } from '../src/delivery/event-fanout.service.js';
import { command, connect, disconnected, Inbox, pause, succeed } from './edge.harness.js';
import { startEdgePlatform, type EdgePlatform, type Person } from './platform.harness.js';

jest.setTimeout(60_000);

const text = (body: string) => ({ clientMessageId: randomUUID(), body });

/** The sequence numbers of the messages a socket received in one conversation, in arrival order. */
function sequences(inbox: Inbox, conversationId: string): number[] {
  return inbox
    .of<MessageView>('message:new')
    .filter((message) => message.conversationId === conversationId)
    .map((message) => message.sequence as number);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe('delivery through the edge, two instances', () => {
  let world: EdgePlatform;
  let tenant: Tenant;
  let alice: Person;
  let bob: Person;
  let carol: Person;

  beforeAll(async () => {
    // One client here sends far faster than a person would: rate limits are tested elsewhere.
    world = await startEdgePlatform(2, {
      REALTIME_SOCKET_RATE: '1000',
      REALTIME_SOCKET_BURST: '1000',
      REALTIME_USER_RATE: '1000',
      REALTIME_USER_BURST: '1000',
    });
    tenant = await world.tenant();
    [alice, bob, carol] = await Promise.all([
      world.person(tenant, 'Alice'),
      world.person(tenant, 'Bob'),
      world.person(tenant, 'Carol'),
    ]);
  }, 180_000);
  afterAll(() => world.stop(), 60_000);

  const edgeA = () => world.edges[0]!;
  const edgeB = () => world.edges[1]!;

  describe('peer to peer (messenger specification 3.1)', () => {
    it('creates the direct conversation on first use, acks the sender, delivers message:new to the receiver', async () => {
      const sender = await world.socket(edgeA(), alice);
      const receiver = await world.socket(edgeB(), bob);
      const senderInbox = new Inbox(sender);
      const receiverInbox = new Inbox(receiver);
      const ack = await command(sender, commands.messageSend, { toUserId: bob.id, ...text('Hello Bob') });
      if (!ack.ok) {
        throw new Error(JSON.stringify(ack.error));
      }
      expect(ack.data).toMatchObject({
        senderId: alice.id,
        body: 'Hello Bob',
        sequence: 1,
        status: 'published',
      });
      const [created] = await receiverInbox.waitFor<{ conversation: Conversation }>('conversation:created');
      expect(created?.conversation).toMatchObject({ id: ack.data.conversationId, kind: 'direct' });
      const [delivered] = await receiverInbox.waitFor<MessageView>('message:new');
      expect(delivered).toMatchObject({ id: ack.data.id, body: 'Hello Bob', sequence: 1, reactions: [] });
      // The sender's own socket follows the new conversation too (for the sender's other devices).
      await senderInbox.waitFor('message:new');

      // The second message goes to the same conversation, live.
      const second = await succeed(sender, commands.messageSend, { toUserId: bob.id, ...text('Again') });
      expect(second.conversationId).toBe(ack.data.conversationId);
      await receiverInbox.waitFor('message:new', 2);
      expect(sequences(receiverInbox, second.conversationId)).toEqual([1, 2]);
      sender.close();
      receiver.close();
    });
  });

  describe('restricted group (messenger specification 3.2)', () => {
    it('refuses a member with a clear error and delivers the administrator’s message to everyone', async () => {
      const owner = await world.socket(edgeA(), alice);
      const member = await world.socket(edgeB(), bob);
      const other = await world.socket(edgeA(), carol);
      const inboxes = [owner, member, other].map((socket) => new Inbox(socket));
      const group = await succeed(owner, commands.conversationCreate, {
        title: 'Announcements',
        isRestricted: true,
        participants: [{ userId: bob.id }, { userId: carol.id }],
      });
      for (const inbox of inboxes) {
        await inbox.waitFor('conversation:created');
      }
      const refused = await command(member, commands.messageSend, {
        conversationId: group.id,
        ...text('Me too'),
      });
      expect(refused).toMatchObject({
        ok: false,
        error: { code: 'forbidden', details: { missing: ['conversation:message:send-restricted'] } },
      });
      // Without an acknowledgement callback the refusal arrives as `error`.
      const memberInbox = inboxes[1]!;
      member.emit(commands.messageSend.event, { conversationId: group.id, ...text('Still me') });
      const [error] = await memberInbox.waitFor('error');
      expect(error).toMatchObject({ code: 'forbidden', event: 'message:send' });

      const sent = await succeed(owner, commands.messageSend, {
        conversationId: group.id,
        ...text('Welcome'),
      });
      for (const inbox of inboxes) {
        const [message] = await inbox.waitFor<MessageView>(
          'message:new',
          1,
          (m) => m.conversationId === group.id,
        );
        expect(message).toMatchObject({ id: sent.id, body: 'Welcome', sequence: 1 });
      }
      for (const socket of [owner, member, other]) {
        socket.close();
      }
    });
  });

  describe('reconnect without gaps', () => {
    it('replays exactly the 100 missed messages on the other instance, then the live ones, in order', async () => {
      const sender = await world.socket(edgeA(), alice);
      const conversation = await succeed(sender, commands.conversationDirect, { userId: carol.id });
      const first = await world.socket(edgeB(), carol);
      const firstInbox = new Inbox(first);
      await succeed(first, commands.conversationSync, {
        conversations: { [conversation.id]: conversation.lastSequence },
      });
      await succeed(sender, commands.messageSend, { conversationId: conversation.id, ...text('before') });
      const [seen] = await firstInbox.waitFor<MessageView>(
        'message:new',
        1,
        (m) => m.conversationId === conversation.id,
      );
      const last = seen!.sequence as number;
      const gone = disconnected(first);
      first.close();
      await gone;

      for (let i = 0; i < 100; i += 1) {
        await succeed(sender, commands.messageSend, {
          conversationId: conversation.id,
          ...text(`missed ${i}`),
        });
      }
      // Back, on the other instance, while messages keep coming.
      const again = await connect(edgeA().url, carol.token);
      const inbox = new Inbox(again);
      const live = (async () => {
        for (let i = 0; i < 20; i += 1) {
          await succeed(sender, commands.messageSend, {
            conversationId: conversation.id,
            ...text(`live ${i}`),
          });
        }
      })();
      const sync = await succeed(again, commands.conversationSync, {
        conversations: { [conversation.id]: last },
      });
      await live;
      const outcome = sync.conversations[conversation.id] as SyncOutcome;
      expect(outcome.status).toBe('synced');
      expect(outcome).toMatchObject({ replayed: expect.any(Number) });
      // The replay covers the missed messages (and may reach into the live ones sent meanwhile);
      // the last missed ones may instead arrive live when their events were still on their way as
      // the client subscribed. Either way the sequence below must be whole, in order, without a
      // duplicate.
      expect((outcome as { replayed: number }).replayed).toBeGreaterThanOrEqual(90);
      await inbox.waitFor('message:new', 120, (m: MessageView) => m.conversationId === conversation.id);
      await pause(300);
      expect(sequences(inbox, conversation.id)).toEqual(range(last + 1, last + 120));
      again.close();
      sender.close();
    });

    it('tells the client to reload when it missed more than the edge replays (sync:reset)', async () => {
      const small = await world.startEdge({ REALTIME_SYNC_MAX_GAP: '10' });
      const sender = await world.socket(edgeA(), alice);
      const conversation = await succeed(sender, commands.conversationDirect, { userId: bob.id });
      const before = (await succeed(sender, commands.conversationGet, { conversationId: conversation.id }))
        .conversation;
      for (let i = 0; i < 12; i += 1) {
        await succeed(sender, commands.messageSend, { conversationId: conversation.id, ...text(`old ${i}`) });
      }
      const socket = await world.socket(small, bob);
      const inbox = new Inbox(socket);
      const sync = await succeed(socket, commands.conversationSync, {
        conversations: { [conversation.id]: before.lastSequence },
      });
      const lastSequence = before.lastSequence + 12;
      expect(sync.conversations[conversation.id]).toEqual({
        status: 'reset',
        lastSequence,
        lastRevision: expect.any(Number),
        missed: 12,
      });
      expect(inbox.of('sync:reset')).toEqual([{ conversationId: conversation.id, lastSequence, missed: 12 }]);
      expect(sequences(inbox, conversation.id)).toEqual([]);
      // Live messages continue right after.
      await succeed(sender, commands.messageSend, { conversationId: conversation.id, ...text('new') });
      await inbox.waitFor('message:new');
      expect(sequences(inbox, conversation.id)).toEqual([lastSequence + 1]);

      // A reset while messages keep coming: every message after the position it answers arrives.
      const again = await world.socket(small, bob);
      const againInbox = new Inbox(again);
      // Messages are sent, four at a time, from before the sync until after its answer.
      let answered = false;
      const resyncing = succeed(again, commands.conversationSync, {
        conversations: { [conversation.id]: before.lastSequence },
      }).finally(() => {
        answered = true;
      });
      const sent: Array<{ sequence: number | null }> = [];
      for (let after = 0; after < 2; after += answered ? 1 : 0) {
        const round = Array.from({ length: 4 }, () =>
          succeed(sender, commands.messageSend, { conversationId: conversation.id, ...text('during') }),
        );
        sent.push(...(await Promise.all(round)));
      }
      const outcome = (await resyncing).conversations[conversation.id];
      expect(outcome).toMatchObject({ status: 'reset' });
      const resetAt = (outcome as { lastSequence: number }).lastSequence;
      const last = Math.max(...sent.map((message) => message.sequence as number));
      await againInbox.waitFor<MessageView>(
        'message:new',
        last - resetAt,
        (message) => message.conversationId === conversation.id,
      );
      await pause(200);
      expect(sequences(againInbox, conversation.id)).toEqual(range(resetAt + 1, last));
      again.close();
      socket.close();
      sender.close();
    });
  });

  describe('the client SDK', () => {
    it('catches up after a dropped connection, and on another instance from what the application kept', async () => {
      // Two people who never talked: their first message creates the conversation.
      const [dave, erin] = await Promise.all([world.person(tenant, 'Dave'), world.person(tenant, 'Erin')]);
      const daveClient = new ParleyClient({ url: edgeA().url, token: dave.token });
      const erinClient = new ParleyClient({ url: edgeB().url, token: async () => erin.token });
      const received: MessageView[] = [];
      erinClient.on('message:new', (message) => received.push(message));
      await Promise.all([daveClient.connect(), erinClient.connect()]);
      const first = await daveClient.sendMessage({ toUserId: carol.id, body: 'not for Erin' });
      const sent = await daveClient.sendMessage({ toUserId: erin.id, body: 'one' });
      const conversationId = sent.conversationId;
      await eventually(
        async () => received.length,
        (count) => count >= 1,
      );
      expect(erinClient.lastSequence(conversationId)).toBe(sent.sequence);
      expect(erinClient.lastSequence(first.conversationId)).toBeUndefined();

      // The network drops; Socket.IO reconnects by itself and the SDK catches up.
      const reconnected = new Promise((resolve) => erinClient.socket.io.once('reconnect', resolve));
      erinClient.socket.io.engine.close();
      for (let i = 0; i < 5; i += 1) {
        await daveClient.sendMessage({ conversationId, body: `while away ${i}` });
      }
      await reconnected;
      await eventually(
        async () => received.length,
        (count) => count >= 6,
      );

      // The application keeps where Bob was and opens a client on the other instance later.
      const kept = erinClient.followed();
      erinClient.disconnect();
      for (let i = 0; i < 10; i += 1) {
        await daveClient.sendMessage({ conversationId, body: `offline ${i}` });
      }
      const later = new ParleyClient({ url: edgeA().url, token: erin.token, conversations: kept });
      const replayed: MessageView[] = [];
      later.on('message:new', (message) => replayed.push(message));
      await later.connect();
      await eventually(
        async () => replayed.length,
        (count) => count >= 10,
      );
      await pause(200);
      const start = sent.sequence as number;
      expect(received.map((message) => message.sequence)).toEqual(range(start, start + 5));
      expect(replayed.map((message) => message.sequence)).toEqual(range(start + 6, start + 15));
      expect(later.lastSequence(conversationId)).toBe(start + 15);
      for (const client of [daveClient, later]) {
        client.disconnect();
      }
    });
  });

  describe('what else changed while away', () => {
    it('reports after the reconnection a group the user left meanwhile; followMine follows one joined meanwhile', async () => {
      const frank = await world.person(tenant, 'Frank');
      const owner = await world.socket(edgeA(), alice);
      const ownerInbox = new Inbox(owner);
      // A slow reconnection: the removal and its assignment change reach every cache meanwhile.
      const frankClient = new ParleyClient({
        url: edgeB().url,
        token: frank.token,
        socket: { reconnectionDelay: 3000, reconnectionDelayMax: 3000 },
      });
      const resumptions: Resumption[] = [];
      frankClient.onResumed((resumption) => resumptions.push(resumption));
      await frankClient.connect();
      const group = await succeed(owner, commands.conversationCreate, {
        title: 'Leavers',
        participants: [{ userId: frank.id }],
      });
      const kept = await succeed(owner, commands.conversationCreate, {
        title: 'Stayers',
        participants: [{ userId: frank.id }],
      });
      await eventually(
        async () => Object.keys(frankClient.followed()).sort(),
        (followed) => followed.length === 2,
      );

      const reconnected = new Promise((resolve) => frankClient.socket.io.once('reconnect', resolve));
      frankClient.socket.io.engine.close();
      await succeed(owner, commands.participantRemove, { conversationId: group.id, userId: frank.id });
      await ownerInbox.waitFor('participant:removed');
      // A group Frank is put in while away, and a message in it.
      const joined = await succeed(owner, commands.conversationCreate, {
        title: 'Newcomers',
        participants: [{ userId: frank.id }],
      });
      await succeed(owner, commands.messageSend, { conversationId: joined.id, ...text('welcome') });
      const received: MessageView[] = [];
      frankClient.on('message:new', (message) => received.push(message));
      await reconnected;
      await eventually(
        async () => resumptions.length,
        (count) => count === 2,
      );
      expect(resumptions[0]).toEqual({ reconnection: false, conversations: {} });
      expect(resumptions[1]?.reconnection).toBe(true);
      expect(resumptions[1]?.conversations[group.id]).toMatchObject({ status: 'refused' });
      expect(resumptions[1]?.conversations[kept.id]).toMatchObject({ status: 'synced' });
      expect(Object.keys(frankClient.followed())).toEqual([kept.id]);

      // The list tells what the events could not: the group joined while away.
      const followed = await frankClient.followMine();
      expect(Object.keys(followed)).toEqual([joined.id]);
      expect(followed[joined.id]).toMatchObject({ status: 'synced', lastSequence: 1 });
      expect(received.map((message) => [message.conversationId, message.body])).toEqual([
        [joined.id, 'welcome'],
      ]);
      expect(Object.keys(frankClient.followed()).sort()).toEqual([kept.id, joined.id].sort());
      await expect(frankClient.followMine()).resolves.toEqual({});
      frankClient.disconnect();
      owner.close();
    });
  });

  describe('changes made while away', () => {
    it('sends the changed messages as they are now, then the live changes, each change once', async () => {
      const [dave, erin] = await Promise.all([world.person(tenant, 'Dave'), world.person(tenant, 'Erin')]);
      const daveClient = new ParleyClient({ url: edgeA().url, token: dave.token });
      const erinClient = new ParleyClient({ url: edgeB().url, token: erin.token });
      const live: string[] = [];
      erinClient.on('reaction:added', (reaction) => live.push(`${reaction.emoji} ${reaction.revision}`));
      await Promise.all([daveClient.connect(), erinClient.connect()]);
      const [first, second, third] = [
        await daveClient.sendMessage({ toUserId: erin.id, body: 'Frist' }),
        await daveClient.sendMessage({ toUserId: erin.id, body: 'Second' }),
        await daveClient.sendMessage({ toUserId: erin.id, body: 'Third' }),
      ] as [MessageView, MessageView, MessageView];
      const conversationId = first.conversationId;
      const react = (message: MessageView, emoji: string) =>
        daveClient.send(commands.reactionAdd, { conversationId, messageId: message.id, emoji });
      await react(first, '👀');
      await eventually(
        async () => erinClient.lastRevision(conversationId),
        (revision) => revision === 1,
      );
      expect(live).toEqual(['👀 1']);
      expect(erinClient.lastSequence(conversationId)).toBe(3);

      // Erin's application keeps where she was; while she is away, Dave changes all three.
      const kept = erinClient.followed();
      expect(kept[conversationId]).toEqual({ sequence: 3, revision: 1 });
      erinClient.disconnect();
      await daveClient.send(commands.messageEdit, { conversationId, messageId: first.id, body: 'First' });
      await daveClient.send(commands.messageDelete, { conversationId, messageId: second.id });
      await react(third, '🎉');
      await daveClient.sendMessage({ conversationId, body: 'Fourth' });

      // Back on the other instance, while Dave reacts once more.
      const later = new ParleyClient({ url: edgeA().url, token: erin.token, conversations: kept });
      const refreshed: MessageView[] = [];
      const fresh: MessageView[] = [];
      const laterLive: Array<{ emoji: string; revision: number }> = [];
      const edits: number[] = [];
      later.on('message:refreshed', (message) => refreshed.push(message));
      later.on('message:new', (message) => fresh.push(message));
      later.on('reaction:added', (reaction) => laterLive.push(reaction));
      later.on('message:updated', ({ message }) => edits.push(message.revision));
      await Promise.all([later.connect(), react(first, '👍')]);
      await eventually(
        async () => later.lastRevision(conversationId),
        (revision) => revision === 5,
      );
      await pause(300);

      const latest = new Map(refreshed.map((message) => [message.id, message]));
      expect(latest.get(first.id)).toMatchObject({ body: 'First' });
      expect(latest.get(second.id)).toMatchObject({ body: null, deletedAt: expect.any(String) });
      expect(latest.get(third.id)?.reactions).toEqual([{ emoji: '🎉', count: 1, reactedByMe: false }]);
      expect(fresh.map((message) => message.body)).toEqual(['Fourth']);
      // Dave's last reaction (revision 5) reached Erin once: in a refreshed message or live.
      const inState = refreshed.some((message) => message.id === first.id && message.revision >= 5);
      const asEvent = laterLive.filter((reaction) => reaction.revision === 5).length;
      expect(Number(inState) + asEvent).toBe(1);
      expect(laterLive.filter((reaction) => reaction.revision < 5)).toEqual([]);

      // From now on, changes arrive live.
      await daveClient.send(commands.messageEdit, { conversationId, messageId: third.id, body: 'Third!' });
      await eventually(
        async () => edits,
        (seen) => seen.length === 1,
      );
      expect(edits).toEqual([6]);
      expect(later.followed()[conversationId]).toEqual({ sequence: 4, revision: 6 });
      for (const client of [daveClient, later]) {
        client.disconnect();
      }
    });

    it('keeps a client’s copies exact over reconnections while messages change all the time', async () => {
      const [gil, hal] = await Promise.all([world.person(tenant, 'Gil'), world.person(tenant, 'Hal')]);
      const writer = new ParleyClient({ url: edgeA().url, token: gil.token });
      const reader = new ParleyClient({ url: edgeB().url, token: hal.token });
      await Promise.all([writer.connect(), reader.connect()]);
      // Hal's copies, kept only from what the SDK hands over.
      const copies = new Map<string, { body: string | null; reactions: Map<string, number> }>();
      const take = (message: MessageView) =>
        copies.set(message.id, {
          body: message.body,
          reactions: new Map(message.reactions.map((reaction) => [reaction.emoji, reaction.count])),
        });
      const react = (messageId: string, emoji: string, by: number) => {
        const copy = copies.get(messageId);
        if (copy !== undefined) {
          copy.reactions.set(emoji, (copy.reactions.get(emoji) ?? 0) + by);
        }
      };
      reader.on('message:new', take);
      reader.on('message:refreshed', take);
      reader.on(
        'message:updated',
        ({ message }) => copies.get(message.id) && (copies.get(message.id)!.body = message.body),
      );
      reader.on(
        'message:deleted',
        ({ message }) => copies.get(message.id) && (copies.get(message.id)!.body = null),
      );
      reader.on('reaction:added', ({ messageId, emoji }) => react(messageId, emoji, 1));
      reader.on('reaction:removed', ({ messageId, emoji }) => react(messageId, emoji, -1));

      const first = await writer.sendMessage({ toUserId: hal.id, body: 'start' });
      const conversationId = first.conversationId;
      const live: string[] = [first.id];
      let lastSequence = 1;
      // Back: connected again and caught up (the catch-up runs at every connection).
      const backAgain = () =>
        new Promise<void>((resolve) => {
          reader.socket.once('connect', () => {
            void eventually(
              async () => reader.lastSequence(conversationId),
              (sequence) => sequence === lastSequence,
            ).then(() => resolve());
          });
        });
      // The reader follows the new conversation (the edge makes its socket follow it) before it goes.
      await eventually(
        async () => copies.size,
        (size) => size === 1,
      );
      expect(reader.followed()[conversationId]).toEqual({ sequence: 1, revision: 0 });
      let step = 0;
      // A fixed mix of changes: sends, edits, reactions of three kinds added and taken back, deletions.
      const change = async () => {
        step += 1;
        const target = live[(step * 7) % live.length] as string;
        const emoji = ['👍', '🎉', '👀'][step % 3] as string;
        const on = { conversationId, messageId: target };
        switch (step % 6) {
          case 0:
            {
              const sent = await writer.sendMessage({ conversationId, body: `message ${step}` });
              live.push(sent.id);
              lastSequence = sent.sequence as number;
            }
            return;
          case 1:
          case 4:
            await writer.send(commands.messageEdit, { ...on, body: `edited at ${step}` });
            return;
          case 2:
          case 5:
            await writer.send(commands.reactionAdd, { ...on, emoji });
            return;
          default:
            if (step % 12 === 3 && live.length > 2) {
              await writer.send(commands.messageDelete, on);
              live.splice(live.indexOf(target), 1);
            } else {
              await writer.send(commands.reactionRemove, {
                ...on,
                emoji: ['👍', '🎉', '👀'][(step + 1) % 3] as string,
              });
            }
        }
      };
      for (let round = 0; round < 3; round += 1) {
        const back = backAgain();
        reader.socket.io.engine.close();
        for (let i = 0; i < 12; i += 1) {
          await change();
        }
        // More changes while the reader catches up, and after.
        await Promise.all([
          back,
          (async () => {
            for (let i = 0; i < 12; i += 1) await change();
          })(),
        ]);
      }
      // Last, while the reader is away, every message it has changes: nothing later covers a miss.
      const back = backAgain();
      reader.socket.io.engine.close();
      for (const messageId of live) {
        await writer.send(commands.messageEdit, { conversationId, messageId, body: `last ${messageId}` });
        await writer.send(commands.reactionAdd, { conversationId, messageId, emoji: '🔥' });
      }
      await back;
      const truth = async () => {
        const page = await reader.send(commands.messageHistory, { conversationId, limit: 100 });
        return page.items.map((message) => ({
          id: message.id,
          body: message.body,
          reactions: Object.fromEntries(
            message.reactions.map((reaction) => [reaction.emoji, reaction.count]),
          ),
        }));
      };
      const mine = () =>
        [...copies.entries()].map(([id, copy]) => ({
          id,
          body: copy.body,
          reactions: Object.fromEntries([...copy.reactions].filter(([, count]) => count !== 0)),
        }));
      const expected = await truth();
      const settled = await eventually(
        async () => mine(),
        (held) =>
          JSON.stringify([...held].sort((a, b) => a.id.localeCompare(b.id))) ===
          JSON.stringify([...expected].sort((a, b) => a.id.localeCompare(b.id))),
        10_000,
      );
      expect([...settled].sort((a, b) => a.id.localeCompare(b.id))).toEqual(
        [...expected].sort((a, b) => a.id.localeCompare(b.id)),
      );
      expect(expected.length).toBeGreaterThan(5);
      for (const client of [writer, reader]) {
        client.disconnect();
      }
    });

    it('tells the client to reload when more messages changed than the edge replays', async () => {
      const small = await world.startEdge({ REALTIME_SYNC_MAX_GAP: '3' });
      const [fay, gus] = await Promise.all([world.person(tenant, 'Fay'), world.person(tenant, 'Gus')]);
      const sender = await world.socket(edgeA(), fay);
      const conversation = await succeed(sender, commands.conversationDirect, { userId: gus.id });
      const sent: Array<{ id: string }> = [];
      for (let i = 0; i < 5; i += 1) {
        sent.push(
          await succeed(sender, commands.messageSend, { conversationId: conversation.id, ...text(`${i}`) }),
        );
      }
      for (const message of sent) {
        await succeed(sender, commands.reactionAdd, {
          conversationId: conversation.id,
          messageId: message.id,
          emoji: '👍',
        });
      }
      const socket = await world.socket(small, gus);
      const inbox = new Inbox(socket);
      const sync = await succeed(socket, commands.conversationSync, {
        conversations: { [conversation.id]: { sequence: 5, revision: 0 } },
      });
      expect(sync.conversations[conversation.id]).toEqual({
        status: 'reset',
        lastSequence: 5,
        lastRevision: 5,
        missed: 5,
      });
      const [reset] = await inbox.waitFor('sync:reset');
      expect(reset).toEqual({ conversationId: conversation.id, lastSequence: 5, missed: 5 });
      socket.close();
      sender.close();
    });
  });

  describe('conversation events', () => {
    it('delivers edits, deletions, reactions and receipts after the message they concern', async () => {
      const author = await world.socket(edgeA(), alice);
      const reader = await world.socket(edgeB(), bob);
      const inbox = new Inbox(reader);
      const conversation = await succeed(author, commands.conversationDirect, { userId: bob.id });
      await succeed(reader, commands.conversationSync, {
        conversations: { [conversation.id]: conversation.lastSequence },
      });
      const message = await succeed(author, commands.messageSend, {
        conversationId: conversation.id,
        ...text('Hi'),
      });
      await succeed(author, commands.messageEdit, {
        conversationId: conversation.id,
        messageId: message.id,
        body: 'Hi there',
      });
      await succeed(reader, commands.reactionAdd, {
        conversationId: conversation.id,
        messageId: message.id,
        emoji: '👍',
      });
      await succeed(reader, commands.messageRead, {
        conversationId: conversation.id,
        sequence: message.sequence as number,
      });
      await succeed(author, commands.messageDelete, {
        conversationId: conversation.id,
        messageId: message.id,
      });
      await inbox.waitFor('message:deleted');
      await inbox.waitFor('receipt:updated');
      const order = inbox.events
        .map((entry) => entry.event)
        .filter((event) =>
          ['message:new', 'message:updated', 'reaction:added', 'receipt:updated', 'message:deleted'].includes(
            event,
          ),
        );
      expect(order.indexOf('message:new')).toBe(0);
      expect(new Set(order)).toEqual(
        new Set(['message:new', 'message:updated', 'reaction:added', 'receipt:updated', 'message:deleted']),
      );
      expect(inbox.of('message:updated')[0]).toMatchObject({ message: { id: message.id, body: 'Hi there' } });
      expect(inbox.of('reaction:added')[0]).toMatchObject({
        messageId: message.id,
        userId: bob.id,
        emoji: '👍',
      });
      expect(inbox.of('receipt:updated')[0]).toMatchObject({
        userId: bob.id,
        lastReadSequence: message.sequence,
      });
      author.close();
      reader.close();
    });

    it('a removed participant stops receiving; an added one starts', async () => {
      const owner = await world.socket(edgeA(), alice);
      const leaving = await world.socket(edgeB(), carol);
      const leavingInbox = new Inbox(leaving);
      const group = await succeed(owner, commands.conversationCreate, {
        title: 'Team',
        participants: [{ userId: carol.id }],
      });
      await leavingInbox.waitFor('conversation:created');
      await succeed(owner, commands.messageSend, { conversationId: group.id, ...text('one') });
      await leavingInbox.waitFor('message:new', 1, (m: MessageView) => m.conversationId === group.id);
      await succeed(owner, commands.participantRemove, { conversationId: group.id, userId: carol.id });
      await leavingInbox.waitFor('participant:removed');
      await succeed(owner, commands.messageSend, { conversationId: group.id, ...text('two') });

      const joining = await world.socket(edgeB(), bob);
      const joiningInbox = new Inbox(joining);
      await succeed(owner, commands.participantAdd, {
        conversationId: group.id,
        participants: [{ userId: bob.id }],
      });
      const [added] = await joiningInbox.waitFor<{ participant: { userId: string } }>('participant:added');
      expect(added?.participant.userId).toBe(bob.id);
      await pause(300);
      await succeed(owner, commands.messageSend, { conversationId: group.id, ...text('three') });
      const [three] = await joiningInbox.waitFor<MessageView>(
        'message:new',
        1,
        (m) => m.conversationId === group.id,
      );
      expect(three).toMatchObject({ body: 'three', sequence: 3 });
      await pause(200);
      expect(sequences(leavingInbox, group.id)).toEqual([1]);
      owner.close();
      leaving.close();
      joining.close();
    });
  });

  describe('typing and reading', () => {
    it('passes typing indicators to the other instance, throttled, never back to the typist', async () => {
      const typist = await world.socket(edgeA(), alice);
      const watcher = await world.socket(edgeB(), bob);
      const conversation = await succeed(typist, commands.conversationDirect, { userId: bob.id });
      await succeed(typist, commands.conversationSync, {
        conversations: { [conversation.id]: conversation.lastSequence },
      });
      await succeed(watcher, commands.conversationSync, {
        conversations: { [conversation.id]: conversation.lastSequence },
      });
      const typistInbox = new Inbox(typist);
      const watcherInbox = new Inbox(watcher);
      expect(await succeed(typist, commands.typingStart, { conversationId: conversation.id })).toEqual({
        sent: true,
      });
      expect(await succeed(typist, commands.typingStart, { conversationId: conversation.id })).toEqual({
        sent: false,
      });
      const [typing] = await watcherInbox.waitFor('typing');
      expect(typing).toEqual({ conversationId: conversation.id, userId: alice.id, isTyping: true });
      expect(await succeed(typist, commands.typingStop, { conversationId: conversation.id })).toEqual({
        sent: true,
      });
      expect(await succeed(typist, commands.typingStop, { conversationId: conversation.id })).toEqual({
        sent: false,
      });
      await watcherInbox.waitFor('typing', 2);
      expect(watcherInbox.of('typing')[1]).toMatchObject({ isTyping: false });
      await pause(200);
      expect(typistInbox.of('typing')).toEqual([]);

      // Someone outside the conversation may not type in it.
      const outsider = await world.socket(edgeA(), carol);
      expect(
        await command(outsider, commands.typingStart, { conversationId: conversation.id }),
      ).toMatchObject({
        ok: false,
        error: { code: 'forbidden', details: { missing: ['conversation:message:send'] } },
      });
      for (const socket of [typist, watcher, outsider]) {
        socket.close();
      }
    });

    it('records who reads a conversation for the notification service', async () => {
      const socket = await world.socket(edgeA(), alice);
      const second = await world.socket(edgeB(), alice);
      const conversation = await succeed(socket, commands.conversationDirect, { userId: carol.id });
      const kv = await new Kvm(world.platform.nats).open(
        world.platform.namespace.stream(conversationReaders.bucket),
      );
      const key = conversationReaders.key(tenant.id, conversation.id, alice.id);
      expect(await succeed(socket, commands.conversationFocus, { conversationId: conversation.id })).toEqual({
        conversationId: conversation.id,
        reading: true,
      });
      const entry = await kv.get(key);
      expect(entry?.operation).toBe('PUT');
      expect(Number.isNaN(Date.parse(entry!.string()))).toBe(false);
      expect(await succeed(socket, commands.conversationBlur, { conversationId: conversation.id })).toEqual({
        conversationId: conversation.id,
        reading: false,
      });
      expect((await kv.get(key))?.operation).not.toBe('PUT');
      // A socket gone is a socket not reading.
      await succeed(second, commands.conversationFocus, { conversationId: conversation.id });
      second.close();
      const cleared = await eventually(
        () => kv.get(key),
        (value) => value?.operation !== 'PUT',
      );
      expect(cleared?.operation).not.toBe('PUT');
      // Reading needs conversation:message:read.
      const stranger = await world.socket(edgeA(), bob);
      expect(
        await command(stranger, commands.conversationFocus, { conversationId: conversation.id }),
      ).toMatchObject({
        ok: false,
        error: { code: 'forbidden' },
      });
      socket.close();
      stranger.close();
    });
  });

  describe('gaps between instances', () => {
    const edges = () => world.edges.map((edge) => edge.app.get(EventFanout));

    it('fills a gap from the service and drops the repeats that arrive later', async () => {
      const sender = await world.socket(edgeA(), alice);
      const reader = await world.socket(edgeB(), bob);
      const conversation = await succeed(sender, commands.conversationDirect, { userId: bob.id });
      await succeed(reader, commands.conversationSync, {
        conversations: { [conversation.id]: conversation.lastSequence },
      });
      const inbox = new Inbox(reader);
      // No instance consumes for a moment: the two messages' events wait in JetStream.
      await Promise.all(edges().map((fanout) => fanout.beforeApplicationShutdown()));
      const first = await succeed(sender, commands.messageSend, {
        conversationId: conversation.id,
        ...text('1'),
      });
      const second = await succeed(sender, commands.messageSend, {
        conversationId: conversation.id,
        ...text('2'),
      });
      // Another instance publishes the second one only: the first is missing.
      const envelope: RoomEnvelope = {
        kind: 'emit',
        event: 'message:new',
        data: { ...second, reactions: [] },
        order: { sequence: second.sequence as number, creates: true },
        at: Date.now(),
      };
      world.platform.nats.publish(
        world.platform.namespace.subject(
          roomSubject({ tenantId: tenant.id, kind: 'conversation', id: conversation.id }),
        ),
        JSON.stringify(envelope),
      );
      await inbox.waitFor('message:new', 2);
      // The consumers come back and publish both again: nobody sees them twice.
      for (const fanout of edges()) {
        fanout.onApplicationBootstrap();
      }
      await pause(1500);
      expect(sequences(inbox, conversation.id)).toEqual([first.sequence, second.sequence]);
      sender.close();
      reader.close();
    });

    it('resets the followers when a gap cannot be filled', async () => {
      const owner = await world.socket(edgeA(), alice);
      const follower = await world.socket(edgeB(), bob);
      const inbox = new Inbox(follower);
      const group = await succeed(owner, commands.conversationCreate, {
        title: 'Gaps',
        participants: [{ userId: bob.id }],
      });
      await inbox.waitFor('conversation:created');
      await pause(300);
      // A message from nowhere, three after the last: the service has nothing before it.
      const envelope: RoomEnvelope = {
        kind: 'emit',
        event: 'message:new',
        data: { conversationId: group.id, sequence: 3 },
        order: { sequence: 3, creates: true },
        at: Date.now(),
      };
      world.platform.nats.publish(
        world.platform.namespace.subject(
          roomSubject({ tenantId: tenant.id, kind: 'conversation', id: group.id }),
        ),
        JSON.stringify(envelope),
      );
      const [reset] = await inbox.waitFor('sync:reset');
      expect(reset).toEqual({ conversationId: group.id, lastSequence: 2, missed: 2 });
      await inbox.waitFor('message:new');
      expect(sequences(inbox, group.id)).toEqual([3]);
      owner.close();
      follower.close();
    });
  });

  describe('administrators and assignments', () => {
    it('puts a tenant administrator in the administrators’ room, and drops a reader whose assignment is revoked', async () => {
      const school = await world.tenant();
      const [head, pupil] = await Promise.all([world.person(school, 'Head'), world.person(school, 'Pupil')]);
      const headSocket = await world.socket(edgeA(), head);
      const pupilSocket = await world.socket(edgeB(), pupil);
      const headInbox = new Inbox(headSocket);
      const pupilInbox = new Inbox(pupilSocket);
      const operator = world.platform.operator;
      await world.platform.rpc.request(
        permissionRequests.bootstrapTenantAdministrator,
        { tenantId: school.id, userId: head.id },
        { token: operator.token },
      );
      await pause(1000);

      // A group where a member's messages wait for approval: the administrators hear of them.
      const group = await succeed(headSocket, commands.conversationCreate, {
        title: 'Moderated',
        requiresApproval: true,
        participants: [{ userId: pupil.id }],
      });
      await pupilInbox.waitFor('conversation:created');
      await pause(300);
      const pending = await succeed(pupilSocket, commands.messageSend, {
        conversationId: group.id,
        ...text('please'),
      });
      expect(pending.status).toBe('pending');
      const [queued] = await headInbox.waitFor<{ message: { id: string } }>('moderation:queued');
      expect(queued?.message.id).toBe(pending.id);
      await pupilInbox.waitFor('moderation:queued');

      // The head revokes the pupil's standing: the pupil's socket stops following the group.
      const { items } = await world.platform.rpc.request(
        permissionRequests.listAssignments,
        { actorId: pupil.id, resource: { type: 'conversation', id: group.id } },
        { token: head.token },
      );
      for (const assignment of items) {
        await world.platform.rpc.request(
          permissionRequests.revokeAssignment,
          { assignmentId: assignment.id },
          { token: head.token },
        );
      }
      await pause(1000);
      await succeed(headSocket, commands.messageSend, { conversationId: group.id, ...text('announcement') });
      await headInbox.waitFor('message:new', 1, (m: MessageView) => m.conversationId === group.id);
      await pause(300);
      expect(sequences(pupilInbox, group.id)).toEqual([]);
      headSocket.close();
      pupilSocket.close();
    });
  });

  describe('every conversation command', () => {
    it('is relayed with the client’s token and answered with the service’s reply', async () => {
      const socket = await world.socket(edgeA(), alice);
      const other = await world.socket(edgeB(), carol);
      const group = await succeed(socket, commands.conversationCreate, {
        title: 'Open house',
        visibility: 'public',
      });
      const joined = await succeed(other, commands.conversationJoin, { conversationId: group.id });
      expect(joined).toMatchObject({ conversationId: group.id, userId: carol.id, standing: 'member' });
      const message = await succeed(socket, commands.messageSend, {
        conversationId: group.id,
        ...text('hello'),
      });
      await succeed(other, commands.reactionAdd, {
        conversationId: group.id,
        messageId: message.id,
        emoji: '👋',
      });
      expect(
        await succeed(other, commands.reactionRemove, {
          conversationId: group.id,
          messageId: message.id,
          emoji: '👋',
        }),
      ).toMatchObject({ removed: true });
      const history = await succeed(other, commands.messageHistory, { conversationId: group.id });
      expect(history.items.map((item) => item.id)).toEqual([message.id]);
      // The reaction and its taking back: two revisions; the message as it is after them.
      const changes = await succeed(other, commands.messageChanges, {
        conversationId: group.id,
        afterRevision: 0,
        throughSequence: message.sequence as number,
      });
      expect(changes).toMatchObject({
        items: [{ id: message.id, revision: 2, reactions: [] }],
        hasMore: false,
        lastRevision: 2,
        coveredRevision: 2,
      });
      const participants = await succeed(socket, commands.participantList, { conversationId: group.id });
      expect(participants.items.map((item) => item.userId).sort()).toEqual([alice.id, carol.id].sort());
      const mine = await succeed(other, commands.conversationList, {});
      expect(mine.items.map((item) => item.conversation.id)).toContain(group.id);
      await succeed(socket, commands.participantAdd, {
        conversationId: group.id,
        participants: [{ userId: bob.id }],
      });
      await succeed(other, commands.participantLeave, { conversationId: group.id });
      expect(await succeed(other, commands.conversationUnsubscribe, { conversationId: group.id })).toEqual({
        conversationId: group.id,
      });
      socket.close();
      other.close();
    });
  });

  describe('the tenant room', () => {
    it('tells every socket of the tenant, on either instance, that a user changed; never their email, never another tenant', async () => {
      const onA = new Inbox(await world.socket(edgeA(), carol));
      const onB = new Inbox(await world.socket(edgeB(), bob));
      const elsewhere = new Inbox(
        await world.socket(edgeB(), await world.person(await world.tenant(), 'Olga')),
      );
      await world.platform.call(alice, identityRequests.updateUser, {
        userId: alice.id,
        fullName: 'Alice Liddell',
        designation: 'Teacher',
      });
      for (const inbox of [onA, onB]) {
        const [update] = await inbox.waitFor<{ user: Record<string, unknown>; changedFields: string[] }>(
          'user:updated',
          1,
          (data) => data.user['id'] === alice.id,
          10_000,
        );
        expect(update?.user).toMatchObject({
          id: alice.id,
          tenantId: tenant.id,
          fullName: 'Alice Liddell',
          designation: 'Teacher',
          status: 'active',
        });
        expect(update?.user).not.toHaveProperty('email');
        expect(update?.changedFields.sort()).toEqual(['designation', 'fullName']);
      }
      await pause(300);
      expect(elsewhere.of('user:updated')).toEqual([]);
    });
  });

  describe('tenant isolation', () => {
    it('keeps every room of one tenant out of another’s reach', async () => {
      const otherTenant = await world.tenant();
      const mallory = await world.person(otherTenant, 'Mallory');
      const intruder = await world.socket(edgeB(), mallory);
      const intruderInbox = new Inbox(intruder);
      const owner = await world.socket(edgeA(), alice);
      const conversation = await succeed(owner, commands.conversationDirect, { userId: bob.id });

      const sync = await succeed(intruder, commands.conversationSync, {
        conversations: { [conversation.id]: 0 },
      });
      expect(sync.conversations[conversation.id]).toMatchObject({
        status: 'refused',
        error: { code: 'forbidden' },
      });
      const send = await command(intruder, commands.messageSend, {
        conversationId: conversation.id,
        ...text('hi'),
      });
      expect(send.ok).toBe(false);
      const direct = await command(intruder, commands.messageSend, { toUserId: alice.id, ...text('hi') });
      expect(direct.ok).toBe(false);
      await succeed(intruder, commands.presenceSubscribe, { userIds: [alice.id] });

      await succeed(owner, commands.messageSend, { conversationId: conversation.id, ...text('private') });
      await succeed(owner, commands.presenceSet, { status: 'away' });
      await pause(500);
      expect(intruderInbox.events.filter((entry) => entry.event !== 'presence')).toEqual([]);
      expect(intruderInbox.of('presence')).toEqual([]);
      owner.close();
      intruder.close();
    });
  });
});
