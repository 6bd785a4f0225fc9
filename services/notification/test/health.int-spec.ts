import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { TokenVerifier } from '@parley/auth';
import { eventStreamName, identityRequests } from '@parley/contracts';
import { startNotificationUnderTest, type NotificationUnderTest } from './notification.harness.js';

describe('notification service', () => {
  let service: NotificationUnderTest;

  beforeAll(async () => {
    service = await startNotificationUnderTest();
  });
  afterAll(() => service.stop());

  it('is live', async () => {
    const response = await fetch(`${service.baseUrl}/health/live`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', service: 'notification' });
  });

  it('is ready with the database and NATS up', async () => {
    const response = await fetch(`${service.baseUrl}/health/ready`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, nats: { status: 'up' } },
    });
  });

  it('labels its metrics with the service name', async () => {
    const response = await fetch(`${service.baseUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('service="notification"');
  });

  it('has its event stream', async () => {
    const jsm = await jetstreamManager(service.nats);
    const info = await jsm.streams.info(service.namespace.stream(eventStreamName('notification')));
    expect(info.config.subjects).toEqual([service.namespace.subject('notification.v1.events.>')]);
  });

  it('verifies access tokens with the keys identity serves over NATS', async () => {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
    const kid = `test-${randomUUID()}`;
    const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
    // Stands in for identity: answers the key set request in this test's namespace.
    let asked = 0;
    const identity = service.nats.subscribe(service.namespace.subject(identityRequests.getJwks.subject), {
      callback: (_error, message) => {
        asked += 1;
        message.respond(JSON.stringify({ ok: true, data: { keys: [jwk] } }));
      },
    });
    try {
      const who = { userId: randomUUID(), tenantId: randomUUID(), sessionId: randomUUID() };
      const token = await new SignJWT({ tenant_id: who.tenantId, sid: who.sessionId, user_kind: 'person' })
        .setProtectedHeader({ alg: 'EdDSA', kid })
        .setSubject(who.userId)
        .setIssuer(service.config.AUTH_ISSUER)
        .setAudience(service.config.AUTH_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('5m')
        .setJti(randomUUID())
        .sign(privateKey);
      await expect(service.app.get(TokenVerifier).verify(token)).resolves.toEqual({ ...who, kind: 'person' });
      expect(asked).toBe(1);
    } finally {
      identity.unsubscribe();
    }
  });
});
