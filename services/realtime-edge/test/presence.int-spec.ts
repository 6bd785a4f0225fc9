import { realtimeCommands, type Presence } from '@parley/contracts';
import {
  connect,
  Inbox,
  newPrincipal,
  startStandaloneEdges,
  succeed,
  type StandaloneEdges,
} from './edge.harness.js';

describe('presence across edge instances', () => {
  let world: StandaloneEdges;

  beforeAll(async () => {
    world = await startStandaloneEdges(2);
  });
  afterAll(() => world.stop());

  it('shows online, away and offline to watchers on another instance', async () => {
    const [a, b] = world.edges as [(typeof world.edges)[0], (typeof world.edges)[0]];
    const alice = newPrincipal();
    const bob = newPrincipal(alice.tenantId);
    const watcher = await connect(b.url, await world.signer.token(bob));
    const inbox = new Inbox(watcher);
    const before = await succeed(watcher, realtimeCommands.presenceSubscribe, { userIds: [alice.userId] });
    expect(before).toEqual({ presence: [{ userId: alice.userId, status: 'offline', since: null }] });

    const phone = await connect(a.url, await world.signer.token(alice));
    const [online] = await inbox.waitFor<Presence>('presence');
    expect(online).toMatchObject({ userId: alice.userId, status: 'online', since: expect.any(String) });

    // A second socket, on the other instance: still online, no new event.
    const laptop = await connect(b.url, await world.signer.token({ ...alice }));
    await succeed(phone, realtimeCommands.presenceSet, { status: 'away' });
    expect(
      (await succeed(watcher, realtimeCommands.presenceSubscribe, { userIds: [alice.userId] })).presence[0]
        ?.status,
    ).toBe('online');
    expect(inbox.of('presence')).toHaveLength(1);

    // Both idle: away.
    const away = await succeed(laptop, realtimeCommands.presenceSet, { status: 'away' });
    expect(away.status).toBe('away');
    await inbox.waitFor<Presence>('presence', 1, (presence) => presence.status === 'away');

    // Both gone: offline.
    phone.close();
    laptop.close();
    const [offline] = await inbox.waitFor<Presence>(
      'presence',
      1,
      (presence) => presence.status === 'offline',
    );
    expect(offline).toEqual({ userId: alice.userId, status: 'offline', since: null });

    // After unsubscribing, nothing more arrives.
    expect(
      await succeed(watcher, realtimeCommands.presenceUnsubscribe, { userIds: [alice.userId, bob.userId] }),
    ).toEqual({ userIds: [alice.userId] });
    inbox.clear();
    const again = await connect(a.url, await world.signer.token(alice));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(inbox.of('presence')).toEqual([]);
    again.close();
    watcher.close();
  });

  it('never shows presence across tenants', async () => {
    const [a, b] = world.edges as [(typeof world.edges)[0], (typeof world.edges)[0]];
    const alice = newPrincipal();
    const stranger = newPrincipal();
    const watcher = await connect(b.url, await world.signer.token(stranger));
    const inbox = new Inbox(watcher);
    await succeed(watcher, realtimeCommands.presenceSubscribe, { userIds: [alice.userId] });
    const socket = await connect(a.url, await world.signer.token(alice));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(inbox.of('presence')).toEqual([]);
    expect(
      (await succeed(watcher, realtimeCommands.presenceSubscribe, { userIds: [alice.userId] })).presence,
    ).toEqual([{ userId: alice.userId, status: 'offline', since: null }]);
    socket.close();
    watcher.close();
  });
});
