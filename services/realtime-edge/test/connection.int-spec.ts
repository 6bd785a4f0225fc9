import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { generateKeyPair } from 'jose';
import { identityEvents, realtimeCommands, type Principal, type User } from '@parley/contracts';
import { configureLogging } from '@parley/logging';
import {
  command,
  connect,
  disconnected,
  Inbox,
  newPrincipal,
  pause,
  refusalOf,
  startStandaloneEdges,
  succeed,
  type StandaloneEdges,
} from './edge.harness.js';

const lines: string[] = [];
const capture = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(chunk.toString());
    done();
  },
});

function userOf(principal: Principal): User {
  const now = new Date().toISOString();
  return {
    id: principal.userId,
    tenantId: principal.tenantId,
    kind: 'person',
    email: `${principal.userId.slice(0, 8)}@example.test`,
    fullName: 'Someone',
    designation: null,
    status: 'suspended',
    createdAt: now,
    updatedAt: now,
  };
}

describe('connections to the edge', () => {
  let world: StandaloneEdges;
  let url: string;

  beforeAll(async () => {
    // Security events are warnings; the token must appear in none of them.
    configureLogging({ service: 'realtime-edge-test', level: 'info', destination: capture });
    world = await startStandaloneEdges(1, { LOG_LEVEL: 'info' });
    url = world.edges[0]!.url;
  });
  afterAll(() => world.stop());

  describe('accept a token from each transport', () => {
    it.each(['auth', 'header', 'query'] as const)('%s', async (transport) => {
      const principal = newPrincipal();
      const socket = await connect(url, await world.signer.token(principal), { transport });
      try {
        expect(socket.connected).toBe(true);
        // The connection acts as the token's user: presence answers for them.
        const presence = await succeed(socket, realtimeCommands.presenceSet, { status: 'online' });
        expect(presence).toMatchObject({ userId: principal.userId, status: 'online' });
      } finally {
        socket.close();
      }
    });
  });

  describe('refuse with a clear reason', () => {
    it('missing', async () => {
      expect(await refusalOf(connect(url, undefined))).toEqual({
        code: 'unauthenticated',
        message: expect.stringContaining('access token is required'),
        details: { reason: 'missing' },
      });
    });

    it('expired', async () => {
      const token = await world.signer.token(newPrincipal(), {
        expiresAt: Math.floor(Date.now() / 1000) - 600,
      });
      expect((await refusalOf(connect(url, token))).details).toEqual({ reason: 'expired' });
    });

    it('invalid: malformed, a bad signature, a malformed header', async () => {
      expect((await refusalOf(connect(url, 'not-a-token'))).details).toEqual({ reason: 'invalid' });
      const { privateKey } = await generateKeyPair('RS256');
      const forged = await world.signer.token(newPrincipal(), { key: privateKey });
      expect((await refusalOf(connect(url, forged))).details).toEqual({ reason: 'invalid' });
      expect((await refusalOf(connect(url, 'a b c', { transport: 'header' }))).details).toEqual({
        reason: 'invalid',
      });
    });

    it('wrong issuer, wrong audience', async () => {
      const issuer = await world.signer.token(newPrincipal(), { issuer: 'somebody-else' });
      expect((await refusalOf(connect(url, issuer))).details).toEqual({ reason: 'wrong_issuer' });
      const audience = await world.signer.token(newPrincipal(), { audience: 'another-service' });
      expect((await refusalOf(connect(url, audience))).details).toEqual({ reason: 'wrong_audience' });
    });

    it('a revoked session, a suspended user; and ends their live connections', async () => {
      const principal = newPrincipal();
      const token = await world.signer.token(principal);
      const socket = await connect(url, token);
      const inbox = new Inbox(socket);
      const gone = disconnected(socket);
      await world.publisher.publishEvent(
        identityEvents.sessionRevoked,
        principal.tenantId,
        {
          sessionId: principal.sessionId,
          userId: principal.userId,
          reason: 'logout',
          revokedAt: new Date().toISOString(),
        },
        randomUUID(),
      );
      expect(await gone).toBe('io server disconnect');
      expect(inbox.of('auth:ended')).toEqual([{ reason: 'session_revoked' }]);
      expect((await refusalOf(connect(url, token))).details).toEqual({ reason: 'session_revoked' });

      const suspended = newPrincipal();
      const other = newPrincipal(suspended.tenantId);
      const sockets = await Promise.all([
        connect(url, await world.signer.token(suspended)),
        connect(url, await world.signer.token({ ...suspended, sessionId: randomUUID() })),
        connect(url, await world.signer.token(other)),
      ]);
      const ended = sockets.slice(0, 2).map((one) => disconnected(one));
      await world.publisher.publishEvent(
        identityEvents.userSuspended,
        suspended.tenantId,
        { user: userOf(suspended), reason: null },
        randomUUID(),
      );
      await world.publisher.publishEvent(
        identityEvents.sessionRevoked,
        suspended.tenantId,
        {
          sessionId: suspended.sessionId,
          userId: suspended.userId,
          reason: 'user_suspended',
          revokedAt: new Date().toISOString(),
        },
        randomUUID(),
      );
      await Promise.all(ended);
      // Another user of the tenant stays.
      const bystander = sockets[2];
      expect(bystander.connected).toBe(true);
      bystander.close();
      await pause(300);
      expect((await refusalOf(connect(url, await world.signer.token(suspended)))).details).toEqual({
        reason: 'user_suspended',
      });
    });

    it('query_token_disabled, on an edge that accepts no token in the URL', async () => {
      const strict = await world.startEdge({ REALTIME_QUERY_TOKEN: 'false' });
      const token = await world.signer.token(newPrincipal());
      expect((await refusalOf(connect(strict.url, token, { transport: 'query' }))).details).toEqual({
        reason: 'query_token_disabled',
      });
      const socket = await connect(strict.url, token, { transport: 'header' });
      socket.close();
    });
  });

  it('never logs a token, and logs refusals as security events', async () => {
    const refused = await world.signer.token(newPrincipal(), { audience: 'elsewhere' });
    await refusalOf(connect(url, refused, { transport: 'query' }));
    const accepted = await world.signer.token(newPrincipal());
    (await connect(url, accepted, { transport: 'query' })).close();
    await pause(100);
    const log = lines.join('');
    expect(log).not.toContain(refused);
    expect(log).not.toContain(accepted);
    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events).toContainEqual(
      expect.objectContaining({
        securityEvent: true,
        type: 'connection',
        outcome: 'failed',
        reason: 'wrong_audience',
        transport: 'query',
      }),
    );
  });

  describe('a token’s lifetime', () => {
    it('warns before the token expires and ends the connection when it does', async () => {
      const edge = await world.startEdge({ REALTIME_TOKEN_WARNING: '1s' });
      // At least two seconds left (expiry is in whole seconds): the warning comes after the
      // listener below is in place, even on a busy machine.
      const expiresAt = Math.floor(Date.now() / 1000) + 3;
      const socket = await connect(edge.url, await world.signer.token(newPrincipal(), { expiresAt }));
      const inbox = new Inbox(socket);
      expect(await disconnected(socket, 6000)).toBe('io server disconnect');
      expect(inbox.events.map((entry) => entry.event)).toEqual(['auth:expiring', 'auth:ended']);
      expect(inbox.of('auth:expiring')).toEqual([{ expiresAt: new Date(expiresAt * 1000).toISOString() }]);
      expect(inbox.of('auth:ended')).toEqual([{ reason: 'token_expired' }]);
    });

    it('lives on with a fresh token of the same session (auth:refresh)', async () => {
      const principal = newPrincipal();
      const soon = Math.floor(Date.now() / 1000) + 2;
      const socket = await connect(url, await world.signer.token(principal, { expiresAt: soon }));
      const later = Math.floor(Date.now() / 1000) + 600;
      const answer = await succeed(socket, realtimeCommands.authRefresh, {
        token: await world.signer.token(principal, { expiresAt: later }),
      });
      expect(answer).toEqual({ expiresAt: new Date(later * 1000).toISOString() });
      await pause(2500);
      expect(socket.connected).toBe(true);

      const otherSession = await command(socket, realtimeCommands.authRefresh, {
        token: await world.signer.token({ ...principal, sessionId: randomUUID() }),
      });
      expect(otherSession).toMatchObject({
        ok: false,
        error: { code: 'forbidden', details: { reason: 'session_mismatch' } },
      });
      const expired = await command(socket, realtimeCommands.authRefresh, {
        token: await world.signer.token(principal, { expiresAt: Math.floor(Date.now() / 1000) - 600 }),
      });
      expect(expired).toMatchObject({
        ok: false,
        error: { code: 'unauthenticated', details: { reason: 'expired' } },
      });
      socket.close();
    });
  });
});
