import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { jetstreamManager } from '@nats-io/jetstream';
import { TokenVerifier } from '@parley/auth';
import { eventStreamName } from '@parley/contracts';
import { describeServiceHealth, withClient } from '@parley/testing';
import { startPermissionUnderTest, type PermissionUnderTest } from './permission.harness.js';
import { createTestSigner } from './tokens.js';

describeServiceHealth({
  service: 'permission',
  start: () => startPermissionUnderTest(),
  // The harness answers identity's key set request itself, with its own signer.
  tokenCheck: false,
  more: (service) => {
    it('provisions its own event stream, and identity’s so that it can follow it before identity starts', async () => {
      const jsm = await jetstreamManager(service().nats);
      const streams: string[] = [];
      for await (const name of jsm.streams.names()) {
        streams.push(name);
      }
      const own = streams.filter((name) => name.startsWith(service().namespace.stream(''))).sort();
      expect(own).toEqual(
        [eventStreamName('identity'), eventStreamName('permission')].map((name) =>
          service().namespace.stream(name),
        ),
      );
    });

    it('verifies access tokens with the keys identity serves over NATS', async () => {
      const who = {
        userId: randomUUID(),
        tenantId: randomUUID(),
        sessionId: randomUUID(),
        kind: 'bot' as const,
      };
      const token = await service().signer.token(who);
      await expect(service().app.get(TokenVerifier).verify(token)).resolves.toEqual(who);
      const stranger = await createTestSigner();
      await expect(
        service()
          .app.get(TokenVerifier)
          .verify(await stranger.token(who)),
      ).rejects.toMatchObject({
        code: 'unauthenticated',
      });
    });
  },
});

describe('permission service with PERMISSION_JWKS_URL', () => {
  let service: PermissionUnderTest;
  let server: Server;
  let fetched = 0;

  beforeAll(async () => {
    const signer = await createTestSigner();
    server = createServer((_request, response) => {
      fetched += 1;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(signer.jwks));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    service = await startPermissionUnderTest(
      { PERMISSION_JWKS_URL: `http://127.0.0.1:${port}/jwks.json` },
      {
        systemClock: true,
        // A catalog entry the migrations lack, as after a release that added one to the contracts.
        beforeStart: (url) =>
          withClient(url, async (client) => {
            await client.query(
              "DELETE FROM permission.permission_set_members WHERE permission_id = 'permission:catalog:list'",
            );
            await client.query(
              "DELETE FROM permission.permissions WHERE permission = 'permission:catalog:list'",
            );
          }),
      },
    );
    // The token comes from the HTTP key set, not from the one the harness answers over NATS.
    service.signer = signer;
  });
  afterAll(async () => {
    await service.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('registers its own catalog at start-up, adding what the database lacks', async () => {
    const rows = await withClient(
      service.database.url,
      async (client) =>
        (
          await client.query<{ service: string }>(
            "SELECT service FROM permission.permissions WHERE permission = 'permission:catalog:list'",
          )
        ).rows,
    );
    expect(rows).toEqual([{ service: 'permission' }]);
  });

  it('fetches the key set over HTTP', async () => {
    const who = {
      userId: randomUUID(),
      tenantId: randomUUID(),
      sessionId: randomUUID(),
      kind: 'person' as const,
    };
    await expect(service.app.get(TokenVerifier).verify(await service.signer.token(who))).resolves.toEqual(
      who,
    );
    expect(fetched).toBe(1);
  });
});
