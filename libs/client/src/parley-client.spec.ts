import { randomUUID } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { realtimeCommands } from '@parley/contracts';
import { ParleyClient, ParleyClientError } from './parley-client.js';

/** A token whose claims the client reads (it never verifies them; the edge does). */
function tokenFor(userId: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none' })}.${part({ sub: userId })}.signature`;
}

type Answer = (payload: Record<string, unknown>) => unknown;

/** What an answer returns to leave the command without an acknowledgement. */
const noAck = Symbol('no acknowledgement');

/**
 * A stand-in for the edge: it accepts any token but "refused", answers commands from `answers`
 * (an ack of `{ ok: true, data }`), and records what it received.
 */
class FakeEdge {
  readonly received: Array<{ event: string; payload: Record<string, unknown>; token: unknown }> = [];
  readonly answers = new Map<string, Answer>();
  readonly sockets: Socket[] = [];
  private readonly http: HttpServer = createServer();
  private readonly io = new Server(this.http, { transports: ['websocket'] });

  async start(): Promise<string> {
    this.io.use((socket, next) => {
      if (socket.handshake.auth['token'] === 'refused') {
        const error = new Error('refused') as Error & { data?: unknown };
        error.data = {
          code: 'unauthenticated',
          message: 'The access token has expired',
          details: { reason: 'expired' },
        };
        next(error);
        return;
      }
      next();
    });
    this.io.on('connection', (socket) => {
      this.sockets.push(socket);
      socket.onAny((event: string, payload: Record<string, unknown>, ack?: (reply: unknown) => void) => {
        this.received.push({ event, payload, token: socket.handshake.auth['token'] });
        const answer = this.answers.get(event);
        const reply = answer === undefined ? { ok: true, data: {} } : answer(payload);
        if (reply !== noAck) {
          ack?.(reply);
        }
      });
    });
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
  }

  /** The socket connected last. */
  get socket(): Socket {
    return this.sockets.at(-1) as Socket;
  }

  of(event: string): Array<Record<string, unknown>> {
    return this.received.filter((entry) => entry.event === event).map((entry) => entry.payload);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      void this.io.close(() => resolve());
    });
  }
}

/** Has the edge answer each conversation of a `conversation:sync` with `outcome(id, from)`. */
function answerSyncs(edge: FakeEdge, outcome: (id: string, from: number) => unknown): void {
  edge.answers.set(realtimeCommands.conversationSync.event, (payload) => ({
    ok: true,
    data: {
      conversations: Object.fromEntries(
        Object.entries(payload['conversations'] as Record<string, number>).map(([id, from]) => [
          id,
          outcome(id, from),
        ]),
      ),
    },
  }));
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error('Timed out');
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const message = (conversationId: string, sequence: number | null) => ({
  conversationId,
  sequence,
  id: randomUUID(),
});

describe('ParleyClient', () => {
  let edge: FakeEdge;
  let url: string;
  const clients: ParleyClient[] = [];
  const me = randomUUID();
  const a = randomUUID();
  const b = randomUUID();
  const c = randomUUID();

  beforeEach(async () => {
    edge = new FakeEdge();
    url = await edge.start();
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) {
      client.disconnect();
    }
    await edge.stop();
  });

  function client(options: Partial<ConstructorParameters<typeof ParleyClient>[0]> = {}): ParleyClient {
    const created = new ParleyClient({ url, token: tokenFor(me), ackTimeoutMs: 2000, ...options });
    clients.push(created);
    return created;
  }

  it('catches up on the conversations it follows at every connection', async () => {
    edge.answers.set(realtimeCommands.conversationSync.event, () => ({
      ok: true,
      data: {
        conversations: {
          [a]: { status: 'synced', lastSequence: 4, lastRevision: 2, replayed: 0, refreshed: 0 },
          [b]: { status: 'refused', error: { code: 'forbidden', message: 'no' } },
          [c]: { status: 'refused', error: { code: 'unavailable', message: 'No service answers' } },
        },
      },
    }));
    const sdk = client({ conversations: { [a]: 4, [b]: 9, [c]: 2 } });
    await sdk.connect();
    expect(edge.of('conversation:sync')).toEqual([{ conversations: { [a]: 4, [b]: 9, [c]: 2 } }]);
    // Forbidden: no longer followed. Unavailable for a moment: kept, to be synced again.
    expect(sdk.followed()).toEqual({ [a]: { sequence: 4, revision: 2 }, [c]: 2 });
    expect(edge.received[0]?.token).toBe(tokenFor(me));
  });

  it('tells after each connection what its catch-up found, once it is done', async () => {
    let refuse = false;
    answerSyncs(edge, (id) =>
      refuse && id === b
        ? { status: 'refused', error: { code: 'not_found', message: 'No such conversation' } }
        : { status: 'synced', lastSequence: 5, lastRevision: 1, replayed: 1, refreshed: 0 },
    );
    const sdk = client({ conversations: { [a]: 4, [b]: 4 }, ackTimeoutMs: 200 });
    const resumptions: unknown[] = [];
    const stop = sdk.onResumed((resumption) => {
      // Told once the catch-up is done: what it settled is in place, the focus restored.
      resumptions.push({
        ...resumption,
        followed: Object.keys(sdk.followed()).sort(),
        focused: edge.of('conversation:focus').length,
      });
    });
    await sdk.focus(a).catch(() => undefined);
    await sdk.connect();
    const synced = { status: 'synced', lastSequence: 5, lastRevision: 1, replayed: 1, refreshed: 0 };
    expect(resumptions).toEqual([
      {
        reconnection: false,
        conversations: { [a]: synced, [b]: synced },
        followed: [a, b].sort(),
        focused: 1,
      },
    ]);
    refuse = true;
    const reconnected = new Promise((resolve) => sdk.socket.io.once('reconnect', resolve));
    edge.socket.disconnect(false);
    sdk.socket.io.engine.close();
    await reconnected;
    await until(() => resumptions.length === 2);
    expect(resumptions[1]).toEqual({
      reconnection: true,
      conversations: {
        [a]: synced,
        [b]: { status: 'refused', error: { code: 'not_found', message: 'No such conversation' } },
      },
      followed: [a],
      focused: 2,
    });
    expect(edge.of('conversation:focus')).toEqual([{ conversationId: a }, { conversationId: a }]);
    stop();
    const again = new Promise((resolve) => sdk.socket.io.once('reconnect', resolve));
    edge.socket.disconnect(false);
    sdk.socket.io.engine.close();
    await again;
    await until(() => edge.of('conversation:sync').length === 3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(resumptions).toHaveLength(2);
  });

  it('turns what a resumption handler throws or rejects with into an error event', async () => {
    const sdk = client();
    const errors: unknown[] = [];
    sdk.on('error', (error) => errors.push(error));
    const heard: string[] = [];
    sdk.onResumed(() => {
      heard.push('throws');
      throw new Error('handler broke');
    });
    sdk.onResumed(async () => {
      heard.push('rejects');
      await Promise.resolve();
      throw new Error('The connection dropped');
    });
    sdk.onResumed(() => {
      heard.push('fine');
    });
    await sdk.connect();
    await until(() => errors.length === 2);
    expect(heard).toEqual(['throws', 'rejects', 'fine']);
    expect(errors).toEqual([
      { code: 'unavailable', message: 'handler broke', event: null },
      { code: 'unavailable', message: 'The connection dropped', event: null },
    ]);
  });

  it('catches up on more conversations than one sync takes, in as many syncs as needed', async () => {
    answerSyncs(edge, (id, from) => ({
      status: 'synced',
      lastSequence: from + 1,
      lastRevision: 0,
      replayed: 1,
      refreshed: 0,
    }));
    const many = Object.fromEntries(Array.from({ length: 1201 }, (_, index) => [randomUUID(), index]));
    const sdk = client({ conversations: many });
    await sdk.connect();
    const syncs = edge
      .of('conversation:sync')
      .map((payload) => Object.keys(payload['conversations'] as object));
    expect(syncs.map((ids) => ids.length)).toEqual([500, 500, 201]);
    expect(new Set(syncs.flat()).size).toBe(1201);
    expect(Object.keys(sdk.followed())).toHaveLength(1201);
    const [first] = Object.keys(many);
    expect(sdk.lastSequence(first as string)).toBe(1);
  });

  it('follows every conversation of the user it does not follow yet, from the read position', async () => {
    const c = randomUUID();
    const summary = (conversationId: string, lastReadSequence: number) => ({
      conversation: { id: conversationId.toUpperCase() },
      me: { lastReadSequence },
    });
    edge.answers.set(realtimeCommands.conversationList.event, (payload) =>
      payload['cursor'] === undefined
        ? { ok: true, data: { items: [summary(a, 7), summary(b, 3)], nextCursor: 'next' } }
        : { ok: true, data: { items: [summary(c, 0)], nextCursor: null } },
    );
    answerSyncs(edge, (id, from) => ({
      status: 'synced',
      lastSequence: from + 2,
      lastRevision: 0,
      replayed: 2,
      refreshed: 0,
    }));
    const sdk = client({ conversations: { [a]: 9 } });
    await sdk.connect();
    const outcomes = await sdk.followMine();
    expect(edge.of('conversation:list')).toEqual([{ limit: 100 }, { limit: 100, cursor: 'next' }]);
    // The one it followed already is left as it was.
    expect(edge.of('conversation:sync').at(-1)).toEqual({ conversations: { [b]: 3, [c]: 0 } });
    expect(Object.keys(outcomes).sort()).toEqual([b, c].sort());
    expect(sdk.followed()).toEqual({
      [a]: { sequence: 11, revision: 0 },
      [b]: { sequence: 5, revision: 0 },
      [c]: { sequence: 2, revision: 0 },
    });
    await expect(sdk.followMine()).resolves.toEqual({});
  });

  it('rejects connect() with the refusal', async () => {
    const refusal = await client({ token: 'refused' })
      .connect()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(refusal).toBeInstanceOf(ParleyClientError);
    expect(refusal).toMatchObject({ code: 'unauthenticated', details: { reason: 'expired' } });
  });

  it('hands each message over once and in order, and syncs again on a gap', async () => {
    const sdk = client({ conversations: { [a]: 0 } });
    const seen: Array<number | null> = [];
    sdk.on('message:new', (payload) => seen.push(payload.sequence));
    edge.answers.set(realtimeCommands.conversationSync.event, (payload) => {
      const standpoint = (payload['conversations'] as Record<string, number | { sequence: number }>)[a];
      const from = typeof standpoint === 'number' ? standpoint : (standpoint?.sequence as number);
      if (from === 1) {
        setTimeout(() => {
          edge.socket.emit('message:new', message(a, 2));
          edge.socket.emit('message:new', message(a, 3));
        }, 10);
      }
      return {
        ok: true,
        data: {
          conversations: {
            [a]: { status: 'synced', lastSequence: from, lastRevision: 0, replayed: 0, refreshed: 0 },
          },
        },
      };
    });
    await sdk.connect();
    for (const sequence of [1, 1, 3, null]) {
      edge.socket.emit('message:new', message(a, sequence));
    }
    await until(() => seen.length === 4);
    expect(seen).toEqual([1, null, 2, 3]);
    expect(edge.of('conversation:sync').at(-1)).toEqual({
      conversations: { [a]: { sequence: 1, revision: 0 } },
    });
    expect(sdk.lastSequence(a)).toBe(3);
  });

  it('follows what the edge makes it follow, and forgets what it leaves', async () => {
    const sdk = client();
    const reset: unknown[] = [];
    sdk.on('sync:reset', (payload) => reset.push(payload));
    await sdk.connect();
    const c = randomUUID();
    const participant = (userId: string, conversationId: string) => ({
      conversationId,
      lastRevision: 7,
      participant: {
        conversationId,
        userId,
        standing: 'member',
        joinedAt: new Date().toISOString(),
        addedById: null,
        validUntil: null,
        mutedUntil: null,
        lastReadSequence: 5,
        lastReadAt: null,
      },
    });
    const socket = edge.socket;
    socket.emit('conversation:created', {
      conversation: {
        id: a,
        kind: 'direct',
        title: null,
        topic: null,
        visibility: 'private',
        isRestricted: false,
        isReadOnly: false,
        requiresApproval: false,
        directUserIds: [me, b],
        createdById: b,
        participantCount: 2,
        lastSequence: 0,
        lastRevision: 3,
        lastActivityAt: new Date().toISOString(),
        createdAt: new Date().toISOString(),
        updatedAt: new Date().toISOString(),
      },
      participantIds: [me, b],
    });
    socket.emit('participant:added', participant(me, b));
    socket.emit('participant:added', participant(randomUUID(), c));
    socket.emit('sync:reset', { conversationId: a, lastSequence: 12, missed: 12 });
    await until(() => reset.length === 1);
    expect(sdk.followed()).toEqual({ [a]: { sequence: 12, revision: 3 }, [b]: { sequence: 5, revision: 7 } });
    socket.emit('participant:removed', { conversationId: b, userId: me, removedById: null });
    socket.emit('conversation:deleted', { conversationId: a, deletedById: b });
    socket.emit('participant:removed', { conversationId: c, userId: randomUUID(), removedById: null });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sdk.followed()).toEqual({});
  });

  it('asks for the changes after its revision, and hands each change over once', async () => {
    const sdk = client({ conversations: { [a]: { sequence: 5, revision: 10 }, [b]: 2 } });
    const changes: string[] = [];
    sdk.on('message:updated', ({ message: changed }) => changes.push(`updated ${changed.revision}`));
    sdk.on('message:deleted', ({ message: changed }) => changes.push(`deleted ${changed.revision}`));
    sdk.on('reaction:added', (reaction) =>
      changes.push(`added ${reaction.conversationId === a ? 'a' : 'b'} ${reaction.revision}`),
    );
    sdk.on('reaction:removed', (reaction) => changes.push(`removed ${reaction.revision}`));
    sdk.on('message:refreshed', (refreshed) => changes.push(`refreshed ${refreshed.revision}`));
    edge.answers.set(realtimeCommands.conversationSync.event, () => {
      // The catch-up sends the changed message as it is now, then the live changes follow.
      edge.socket.emit('message:refreshed', { ...message(a, 4), revision: 12, reactions: [] });
      return {
        ok: true,
        data: {
          conversations: {
            [a]: { status: 'synced', lastSequence: 5, lastRevision: 12, replayed: 0, refreshed: 1 },
            [b]: { status: 'synced', lastSequence: 2, lastRevision: 40, replayed: 0, refreshed: 0 },
          },
        },
      };
    });
    await sdk.connect();
    expect(edge.of('conversation:sync')).toEqual([
      { conversations: { [a]: { sequence: 5, revision: 10 }, [b]: 2 } },
    ]);
    const change = (revision: number, conversationId = a) => ({
      conversationId,
      messageId: randomUUID(),
      sequence: 4,
      revision,
      userId: me,
      emoji: '🎉',
    });
    const socket = edge.socket;
    // 12 came with the catch-up; 14 arrives before 13; 13 twice; a message waiting for a moderator
    // (revision 0) always counts.
    socket.emit('reaction:added', change(12));
    socket.emit('reaction:added', change(14));
    socket.emit('message:updated', { message: { ...message(a, 4), revision: 13 } });
    socket.emit('message:deleted', { message: { ...message(a, 4), revision: 13 }, deletedById: me });
    socket.emit('message:deleted', { message: { ...message(a, null), revision: 0 }, deletedById: me });
    socket.emit('reaction:removed', change(15));
    socket.emit('reaction:added', change(41, b));
    await until(() => changes.length === 6);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(changes).toEqual([
      'refreshed 12',
      'added a 14',
      'updated 13',
      'deleted 0',
      'removed 15',
      'added b 41',
    ]);
    expect(sdk.lastRevision(a)).toBe(15);
    expect(sdk.followed()).toEqual({
      [a]: { sequence: 5, revision: 15 },
      [b]: { sequence: 2, revision: 41 },
    });
  });

  it('syncs a conversation again when a revision stays missing', async () => {
    const sdk = client({ conversations: { [a]: { sequence: 5, revision: 10 } } });
    edge.answers.set(realtimeCommands.conversationSync.event, (payload) => {
      const standpoint = (payload['conversations'] as Record<string, { revision: number }>)[a];
      const lastRevision = standpoint?.revision === 10 && edge.of('conversation:sync').length > 1 ? 12 : 10;
      return {
        ok: true,
        data: {
          conversations: {
            [a]: { status: 'synced', lastSequence: 5, lastRevision, replayed: 0, refreshed: 1 },
          },
        },
      };
    });
    await sdk.connect();
    // 11 never comes as a change (the catch-up sent its message as it is after it): 12 waits.
    edge.socket.emit('reaction:added', {
      conversationId: a,
      messageId: randomUUID(),
      sequence: 3,
      revision: 12,
      userId: me,
      emoji: '👍',
    });
    await until(() => edge.of('conversation:sync').length === 2);
    expect(edge.of('conversation:sync')[1]).toEqual({
      conversations: { [a]: { sequence: 5, revision: 10 } },
    });
    await until(() => sdk.lastRevision(a) === 12);
  });

  it('follows, unfollows, focuses and blurs through commands, and focuses again after a reconnection', async () => {
    answerSyncs(edge, (id, from) => ({
      status: 'reset',
      lastSequence: from + 100,
      lastRevision: 7,
      missed: 100,
    }));
    const sdk = client();
    await sdk.connect();
    // Ids in any case: the SDK sends them in lower case, as the edge answers them.
    expect(await sdk.follow(a.toUpperCase(), 3)).toEqual({
      status: 'reset',
      lastSequence: 103,
      lastRevision: 7,
      missed: 100,
    });
    expect(sdk.lastSequence(a)).toBe(103);
    expect(sdk.lastRevision(a.toUpperCase())).toBe(7);
    await sdk.follow(b);
    expect(edge.of('conversation:sync').at(-1)).toEqual({ conversations: { [b]: 0 } });
    await sdk.unfollow(b);
    expect(sdk.lastSequence(b)).toBeUndefined();
    await sdk.focus(a);
    await sdk.focus(b);
    await sdk.blur(b);
    expect(edge.of('conversation:blur')).toEqual([{ conversationId: b }]);
    const reconnected = new Promise((resolve) => sdk.socket.io.once('reconnect', resolve));
    edge.socket.disconnect(false);
    sdk.socket.io.engine.close();
    await reconnected;
    await until(() => edge.of('conversation:focus').length === 3);
    expect(edge.of('conversation:focus').at(-1)).toEqual({ conversationId: a });
  });

  it('sends a message again with the same id when its acknowledgement is lost, the edge is busy or the connection drops', async () => {
    const sdk = client({ ackTimeoutMs: 500 });
    await sdk.connect();
    const answers: unknown[] = [
      noAck,
      { ok: false, error: { code: 'rate_limited', message: 'Slow down', details: { retryAfterMs: 50 } } },
      { ok: false, error: { code: 'unavailable', message: 'No responders' } },
    ];
    edge.answers.set(realtimeCommands.messageSend.event, (payload) => {
      const next = answers.shift();
      if (next === 'drop') {
        // The network goes away with the command in flight; Socket.IO reconnects by itself.
        sdk.socket.io.engine.close();
        return noAck;
      }
      return next ?? { ok: true, data: payload };
    });
    const sent = await sdk.sendMessage({ conversationId: a, body: 'once' });
    const sends = edge.of(realtimeCommands.messageSend.event);
    expect(sends).toHaveLength(4);
    expect(new Set(sends.map((payload) => payload['clientMessageId']))).toEqual(
      new Set([sent.clientMessageId]),
    );

    answers.push('drop');
    const again = await sdk.sendMessage({ conversationId: a, body: 'over a reconnection' });
    const more = edge.of(realtimeCommands.messageSend.event).slice(4);
    expect(more.map((payload) => payload['clientMessageId'])).toEqual([
      again.clientMessageId,
      again.clientMessageId,
    ]);
    expect(edge.sockets).toHaveLength(2);
  });

  it('gives up after sendRetryMs, and after disconnect(), naming the client message id', async () => {
    const sdk = client({ ackTimeoutMs: 100, sendRetryMs: 1500 });
    await sdk.connect();
    edge.answers.set(realtimeCommands.messageSend.event, () => noAck);
    const started = Date.now();
    const failure = await sdk.sendMessage({ conversationId: a, body: 'lost', clientMessageId: 'kept' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({
      name: 'ParleyClientError',
      code: 'unavailable',
      details: { reason: 'no_acknowledgement', clientMessageId: 'kept', attempts: expect.any(Number) },
    });
    expect((failure as ParleyClientError).details?.['attempts']).toBeGreaterThan(1);
    expect(Date.now() - started).toBeLessThan(4_000);
    const attempts = edge.of(realtimeCommands.messageSend.event).length;
    const pending = sdk.sendMessage({ conversationId: a, body: 'closing' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    sdk.disconnect();
    expect(await pending).toMatchObject({ code: 'unavailable', details: { attempts: 1 } });
    expect(edge.of(realtimeCommands.messageSend.event).length).toBeLessThanOrEqual(attempts + 1);
  });

  it('stops trying at once when the edge ends the connection, which Socket.IO does not reopen', async () => {
    const sdk = client({ ackTimeoutMs: 200, sendRetryMs: 30_000 });
    await sdk.connect();
    edge.answers.set(realtimeCommands.messageSend.event, () => {
      // The edge ends this socket's connection (as after a revoked session) instead of answering.
      setTimeout(() => edge.socket.disconnect(true), 10);
      return noAck;
    });
    const started = Date.now();
    const failure = await sdk.sendMessage({ conversationId: a, body: 'lost', clientMessageId: 'ended' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({
      code: 'unavailable',
      details: { clientMessageId: 'ended', attempts: 1 },
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(sdk.socket.active).toBe(false);
  });

  it('stops trying at once when disconnect() comes during a pause', async () => {
    const sdk = client();
    await sdk.connect();
    edge.answers.set(realtimeCommands.messageSend.event, () => ({
      ok: false,
      error: { code: 'rate_limited', message: 'Slow down', details: { retryAfterMs: 3_000 } },
    }));
    const pending = sdk.sendMessage({ conversationId: a, body: 'later' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    await until(() => edge.of(realtimeCommands.messageSend.event).length === 1);
    const stoppedAt = Date.now();
    sdk.disconnect();
    expect(await pending).toMatchObject({ code: 'rate_limited', details: { attempts: 1 } });
    expect(Date.now() - stoppedAt).toBeLessThan(1_000);
    expect(edge.of(realtimeCommands.messageSend.event)).toHaveLength(1);
    // A client never connected does not try again either.
    const idle = client({ ackTimeoutMs: 100 });
    expect(
      await idle.sendMessage({ conversationId: a, body: 'nowhere' }).catch((error: unknown) => error),
    ).toMatchObject({
      code: 'unavailable',
      details: { attempts: 1 },
    });
  });

  it('sends a message with a fresh client message id, and throws refusals as ParleyClientError', async () => {
    edge.answers.set(realtimeCommands.messageSend.event, (payload) =>
      payload['body'] === 'no'
        ? {
            ok: false,
            error: { code: 'forbidden', message: 'Missing permission', details: { missing: ['x:y:z'] } },
          }
        : { ok: true, data: payload },
    );
    const sdk = client();
    await sdk.connect();
    const sent = await sdk.sendMessage({ conversationId: a, body: 'hi' });
    expect(sent).toMatchObject({
      conversationId: a,
      body: 'hi',
      clientMessageId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(
      await sdk.sendMessage({ conversationId: a, body: 'again', clientMessageId: 'mine' }),
    ).toMatchObject({
      clientMessageId: 'mine',
    });
    const refused = await sdk.sendMessage({ conversationId: a, body: 'no' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({
      name: 'ParleyClientError',
      code: 'forbidden',
      details: { missing: ['x:y:z'], clientMessageId: expect.any(String), attempts: 1 },
    });
  });

  it('refreshes a token it can renew when the edge warns, and reports a failed refresh', async () => {
    let issued = 0;
    const sdk = client({
      token: () => {
        issued += 1;
        return tokenFor(me);
      },
    });
    const errors: unknown[] = [];
    sdk.on('error', (error) => errors.push(error));
    await sdk.connect();
    edge.socket.emit('auth:expiring', { expiresAt: new Date().toISOString() });
    await until(() => edge.of('auth:refresh').length === 1);
    expect(issued).toBe(2);
    edge.answers.set(realtimeCommands.authRefresh.event, () => ({
      ok: false,
      error: {
        code: 'unauthenticated',
        message: 'The access token has expired',
        details: { reason: 'expired' },
      },
    }));
    edge.socket.emit('auth:expiring', { expiresAt: new Date().toISOString() });
    await until(() => errors.length === 1);
    expect(errors[0]).toEqual({
      code: 'unauthenticated',
      message: 'The access token has expired',
      details: { reason: 'expired' },
      event: null,
    });

    // A fixed token cannot be renewed: nothing is sent.
    const fixed = client();
    await fixed.connect();
    edge.socket.emit('auth:expiring', { expiresAt: new Date().toISOString() });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(edge.of('auth:refresh')).toHaveLength(2);
  });

  it('reconnects after its token expired, but not after its session was revoked', async () => {
    const sdk = client({ token: () => tokenFor(me) });
    await sdk.connect();
    const first = edge.socket;
    first.emit('auth:ended', { reason: 'token_expired' });
    first.disconnect(true);
    await until(() => edge.sockets.length === 2 && sdk.connected);

    const revoked = client({ token: () => tokenFor(me) });
    await revoked.connect();
    const ended: string[] = [];
    revoked.on('auth:ended', (payload) => ended.push(payload.reason));
    edge.socket.emit('auth:ended', { reason: 'session_revoked' });
    edge.socket.disconnect(true);
    await until(() => !revoked.connected);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ended).toEqual(['session_revoked']);
    expect(edge.sockets).toHaveLength(3);
  });

  it('reports a catch-up that failed after a reconnection', async () => {
    edge.answers.set(realtimeCommands.conversationSync.event, () => ({
      ok: false,
      error: { code: 'unavailable', message: 'No service answers' },
    }));
    const sdk = client({ conversations: { [a]: 1 } });
    const errors: unknown[] = [];
    const stop = sdk.on('error', (error) => errors.push(error));
    await sdk.connect();
    expect(errors).toEqual([{ code: 'unavailable', message: 'No service answers', event: null }]);
    stop();
    // A token that is not a JWT names no user: its user's additions are not recognised.
    const odd = client({ token: 'not.a-jwt' });
    await odd.connect();
    edge.socket.emit('participant:added', { conversationId: b });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(odd.followed()).toEqual({});
  });
});
