import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { TokenVerifier } from '@parley/auth';
import { jetstreamManager } from '@nats-io/jetstream';
import { eventStreamName, eventStreamSubjects, identityRequests, type ServiceName } from '@parley/contracts';
import type { Namespace } from '@parley/nats';

/** What a service's test harness gives back: the running app and where it listens. */
export interface RunningService {
  app: INestApplication;
  baseUrl: string;
  nats: NatsConnection;
  namespace: Namespace;
  config: { AUTH_ISSUER: string; AUTH_AUDIENCE: string };
  stop(): Promise<void>;
}

export interface ServiceHealthOptions<S extends RunningService> {
  service: ServiceName;
  start: () => Promise<S>;
  /**
   * Whether to prove token verification against a stand-in for identity's key set; off for a
   * harness that answers the key set request itself.
   */
  tokenCheck?: boolean;
  /** More tests on the running service, in the same describe block. */
  more?: (service: () => S) => void;
}

/**
 * What every service's health test proves: it is live, ready with PostgreSQL and NATS, labels its
 * metrics, has its event stream, and verifies access tokens with the key set identity serves over
 * NATS.
 */
export function describeServiceHealth<S extends RunningService>(options: ServiceHealthOptions<S>): void {
  describe(`${options.service} service`, () => {
    let service: S;

    beforeAll(async () => {
      service = await options.start();
    });
    afterAll(() => service.stop());

    it('is live', async () => {
      const response = await fetch(`${service.baseUrl}/health/live`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok', service: options.service });
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
      expect(await response.text()).toContain(`service="${options.service}"`);
    });

    it('has its event stream', async () => {
      const jsm = await jetstreamManager(service.nats);
      const info = await jsm.streams.info(service.namespace.stream(eventStreamName(options.service)));
      expect(info.config.subjects).toEqual(
        eventStreamSubjects(options.service).map((subject) => service.namespace.subject(subject)),
      );
    });

    if (options.tokenCheck !== false) {
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
          const token = await new SignJWT({
            tenant_id: who.tenantId,
            sid: who.sessionId,
            user_kind: 'person',
          })
            .setProtectedHeader({ alg: 'EdDSA', kid })
            .setSubject(who.userId)
            .setIssuer(service.config.AUTH_ISSUER)
            .setAudience(service.config.AUTH_AUDIENCE)
            .setIssuedAt()
            .setExpirationTime('5m')
            .setJti(randomUUID())
            .sign(privateKey);
          await expect(service.app.get(TokenVerifier).verify(token)).resolves.toEqual({
            ...who,
            kind: 'person',
          });
          expect(asked).toBe(1);
        } finally {
          identity.unsubscribe();
        }
      });
    }

    options.more?.(() => service);
  });
}
