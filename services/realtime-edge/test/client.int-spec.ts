import { randomUUID } from 'node:crypto';
import { newClientMessageId, ParleyClient, ParleyClientError } from '@parley/client';
import { realtimeCommands, type Presence } from '@parley/contracts';
import { newPrincipal, pause, startStandaloneEdges, type StandaloneEdges } from './edge.harness.js';

/** Waits until `check` holds. */
async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error('Timed out');
    }
    await pause(20);
  }
}

describe('the client SDK against an edge', () => {
  let world: StandaloneEdges;
  const clients: ParleyClient[] = [];

  beforeAll(async () => {
    world = await startStandaloneEdges(0);
    await world.startEdge({ REALTIME_TOKEN_WARNING: '1500ms' });
  });
  afterEach(() => {
    for (const client of clients.splice(0)) {
      client.disconnect();
    }
  });
  afterAll(() => world.stop());

  const url = () => world.edges[0]!.url;
  function client(token: string | (() => Promise<string>)): ParleyClient {
    const created = new ParleyClient({ url: url(), token });
    clients.push(created);
    return created;
  }

  it('connects, answers commands with their data, throws the error envelope as ParleyClientError', async () => {
    const principal = newPrincipal();
    const sdk = client(await world.signer.token(principal));
    await sdk.connect();
    expect(sdk.connected).toBe(true);
    const presence = await sdk.send(realtimeCommands.presenceSet, { status: 'away' });
    expect(presence).toMatchObject({ userId: principal.userId, status: 'away' });
    const failure = await sdk.send(realtimeCommands.presenceSubscribe, { userIds: ['not-a-uuid'] }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ParleyClientError);
    expect(failure).toMatchObject({ code: 'validation_failed', details: { issues: expect.any(Array) } });
  });

  it('rejects connect() with the refusal reason', async () => {
    const sdk = client(await world.signer.token(newPrincipal(), { audience: 'elsewhere' }));
    const refusal = await sdk.connect().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(ParleyClientError);
    expect(refusal).toMatchObject({ code: 'unauthenticated', details: { reason: 'wrong_audience' } });
  });

  it('refreshes the token before it expires, and reconnects with a fresh one when it did', async () => {
    const principal = newPrincipal();
    let issued = 0;
    const sdk = client(() => {
      issued += 1;
      // Short-lived tokens: the edge warns 1.5 s before each expires, within 3 to 4 s.
      return world.signer.token(principal, { expiresAt: Math.floor(Date.now() / 1000) + 4 });
    });
    const ended: string[] = [];
    sdk.on('auth:ended', (payload) => ended.push(payload.reason));
    await sdk.connect();
    await until(() => issued >= 2);
    // Refreshed in time, again and again: the connection outlives its first token.
    await pause(2500);
    expect(ended).toEqual([]);
    expect(sdk.connected).toBe(true);
    sdk.disconnect();

    // A client that cannot refresh in time sees the end, and comes back with a new token.
    const late = client(() =>
      world.signer.token(principal, { expiresAt: Math.floor(Date.now() / 1000) + 1 }),
    );
    const lateEnded: string[] = [];
    late.on('auth:ended', (payload) => lateEnded.push(payload.reason));
    await late.connect();
    await until(() => lateEnded.length > 0, 5000);
    expect(lateEnded[0]).toBe('token_expired');
    await until(() => late.connected, 5000);
  });

  it('delivers typed events to handlers until they stop listening', async () => {
    const alice = newPrincipal();
    const bob = newPrincipal(alice.tenantId);
    const watcher = client(await world.signer.token(bob));
    await watcher.connect();
    const seen: Presence[] = [];
    const stop = watcher.on('presence', (presence) => seen.push(presence));
    await watcher.send(realtimeCommands.presenceSubscribe, { userIds: [alice.userId] });
    const sdk = client(await world.signer.token(alice));
    await sdk.connect();
    await until(() => seen.some((presence) => presence.status === 'online'));
    stop();
    sdk.disconnect();
    await pause(200);
    expect(seen.map((presence) => presence.status)).toEqual(['online']);
    expect(newClientMessageId()).toMatch(/^[0-9a-f-]{36}$/);
    expect(randomUUID()).not.toBe(newClientMessageId());
  });
});
