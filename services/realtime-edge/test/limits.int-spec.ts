import { randomUUID } from 'node:crypto';
import { realtimeCommands, roomSubject, type Presence } from '@parley/contracts';
import {
  command,
  connect,
  disconnected,
  Inbox,
  newPrincipal,
  startStandaloneEdges,
  succeed,
  type StandaloneEdges,
} from './edge.harness.js';

describe('limits of the edge', () => {
  let world: StandaloneEdges;
  let url: string;

  beforeAll(async () => {
    world = await startStandaloneEdges(0);
    const edge = await world.startEdge({
      REALTIME_MAX_EVENT_BYTES: '2048',
      REALTIME_MAX_FRAME_BYTES: '8192',
      REALTIME_SOCKET_RATE: '5',
      REALTIME_SOCKET_BURST: '5',
      REALTIME_USER_RATE: '8',
      REALTIME_USER_BURST: '8',
    });
    url = edge.url;
  });
  afterAll(() => world.stop());

  const presence = { status: 'online' } as const;

  it('answers an unknown event, a bad payload and a failed command without acknowledgement with `error`', async () => {
    const socket = await connect(url, await world.signer.token(newPrincipal()));
    const inbox = new Inbox(socket);
    socket.emit('message:shout', { loud: true });
    socket.emit(realtimeCommands.presenceSet.event, { status: 'invisible' });
    const [unknown, invalid] = await inbox.waitFor('error', 2);
    expect(unknown).toEqual({
      code: 'validation_failed',
      message: 'Unknown event',
      details: { event: 'message:shout' },
      event: null,
    });
    expect(invalid).toMatchObject({
      code: 'validation_failed',
      event: 'presence:set',
      details: { issues: [expect.objectContaining({ path: 'status' })] },
    });
    const acked = await socket.timeout(5000).emitWithAck('message:shout', {});
    expect(acked).toMatchObject({
      ok: false,
      error: { code: 'validation_failed', message: 'Unknown event' },
    });
    const twoPayloads = await socket
      .timeout(5000)
      .emitWithAck(realtimeCommands.presenceSet.event, presence, 'extra');
    expect(twoPayloads).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    expect(socket.connected).toBe(true);
    socket.close();
  });

  it('refuses an event above the size limit with limit_exceeded, and closes on a frame above the frame limit', async () => {
    const socket = await connect(url, await world.signer.token(newPrincipal()));
    const big = await command(socket, realtimeCommands.presenceSubscribe, {
      userIds: Array.from({ length: 60 }, () => randomUUID()),
    });
    expect(big).toEqual({
      ok: false,
      error: {
        code: 'limit_exceeded',
        message: 'The event is too large',
        details: { limit: 'event_bytes', max: 2048 },
      },
    });
    expect(socket.connected).toBe(true);
    const gone = disconnected(socket);
    socket.emit(realtimeCommands.presenceSet.event, { status: 'online', padding: 'x'.repeat(10_000) });
    expect(await gone).toBe('transport close');
    // The server lives on.
    const next = await connect(url, await world.signer.token(newPrincipal()));
    expect((await succeed(next, realtimeCommands.presenceSet, presence)).status).toBe('online');
    next.close();
  });

  it('limits each socket, then each user, with token buckets', async () => {
    const principal = newPrincipal();
    const first = await connect(url, await world.signer.token(principal));
    const replies = await Promise.all(
      Array.from({ length: 7 }, () => command(first, realtimeCommands.presenceSet, presence)),
    );
    const limited = replies.filter((reply) => !reply.ok);
    expect(replies.filter((reply) => reply.ok)).toHaveLength(5);
    expect(limited[0]).toMatchObject({
      ok: false,
      error: { code: 'rate_limited', details: { scope: 'socket', retryAfterMs: expect.any(Number) } },
    });
    // A second socket of the same user has its own bucket, but shares the user's.
    const second = await connect(url, await world.signer.token(principal));
    const more = await Promise.all(
      Array.from({ length: 4 }, () => command(second, realtimeCommands.presenceSet, presence)),
    );
    expect(more.filter((reply) => reply.ok).length).toBeLessThan(4);
    expect(more.find((reply) => !reply.ok)).toMatchObject({ error: { details: { scope: 'user' } } });
    // Another user is not affected.
    const other = await connect(url, await world.signer.token(newPrincipal()));
    expect((await command(other, realtimeCommands.presenceSet, presence)).ok).toBe(true);
    for (const socket of [first, second, other]) {
      socket.close();
    }
  });

  it('shares a user’s rate among the instances their sockets are on', async () => {
    const settings = {
      REALTIME_SOCKET_RATE: '100',
      REALTIME_SOCKET_BURST: '100',
      REALTIME_USER_RATE: '10',
      REALTIME_USER_BURST: '10',
      // Refreshed every second: each instance learns of the other's sockets within one.
      REALTIME_PRESENCE_TTL: '3s',
    };
    const [one, two] = [await world.startEdge(settings), await world.startEdge(settings)];
    const token = await world.signer.token(newPrincipal());
    const here = await connect(one.url, token);
    const there = await connect(two.url, token);
    // Two refreshes, with room to spare on a busy machine; the buckets fill up meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const burst = (socket: Awaited<ReturnType<typeof connect>>) =>
      Promise.all(Array.from({ length: 10 }, () => command(socket, realtimeCommands.presenceSet, presence)));
    const accepted = (replies: Array<{ ok: boolean }>) => replies.filter((reply) => reply.ok).length;
    const [fromHere, fromThere] = await Promise.all([burst(here), burst(there)]);
    // Each instance allows half the user's burst (and refills at half the rate): 10 in all, not 20.
    expect(accepted(fromHere)).toBeLessThanOrEqual(6);
    expect(accepted(fromThere)).toBeLessThanOrEqual(6);
    expect(fromHere.find((reply) => !reply.ok)).toMatchObject({ error: { details: { scope: 'user' } } });
    // The user leaves the other instance: here takes the whole rate and burst again.
    there.close();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(accepted(await burst(here))).toBeGreaterThanOrEqual(9);
    here.close();
  });

  it('drops what it cannot read on a room subject and serves on', async () => {
    const alice = newPrincipal();
    const bob = newPrincipal(alice.tenantId);
    const watcher = await connect(url, await world.signer.token(bob));
    const inbox = new Inbox(watcher);
    await succeed(watcher, realtimeCommands.presenceSubscribe, { userIds: [alice.userId] });
    const subject = world.namespace.subject(
      roomSubject({ tenantId: alice.tenantId, kind: 'presence', id: alice.userId }),
    );
    world.nats.publish(subject, 'not json');
    world.nats.publish(subject, JSON.stringify({ kind: 'emit', event: 'presence' }));
    const socket = await connect(url, await world.signer.token(alice));
    const [presence] = await inbox.waitFor<Presence>('presence');
    expect(presence).toMatchObject({ userId: alice.userId, status: 'online' });
    expect(inbox.of('presence')).toHaveLength(1);
    socket.close();
    watcher.close();
  });

  it('shares the buckets another instance created, whatever its own settings', async () => {
    const other = await world.startEdge({ REALTIME_PRESENCE_TTL: '30s', REALTIME_REVOCATION_TTL: '2h' });
    const principal = newPrincipal();
    const socket = await connect(other.url, await world.signer.token(principal));
    expect(await succeed(socket, realtimeCommands.presenceSet, presence)).toMatchObject({ status: 'online' });
    socket.close();
  });
});
