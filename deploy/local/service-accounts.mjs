// Service accounts of the local platform: a service that acts for the platform (the conversation
// service sets participants' standings) logs in with its own account, a `service` user of the
// platform tenant holding the `platform-service` permission set. The launcher makes each one
// with the platform operator's account, the same two steps a platform team takes in production
// (deploy/README.md): identity.v1.user.create, then permission.v1.assignment.create.
import { createHmac } from 'node:crypto';

/** Services that act for the platform, with the account each logs in with. */
export const serviceAccounts = {
  conversation: { email: 'conversation@parley.local', fullName: 'Conversation service' },
};

/** The service account's password: stable per checkout, derived so nothing else is stored. */
export function serviceAccountPassword(seed, service) {
  return createHmac('sha256', seed).update(`service-account:${service}`).digest('base64url').slice(0, 24);
}

/**
 * Makes sure the service's account exists and holds platform-service. Idempotent: an existing
 * account is recognised by logging in with its password, an existing assignment is kept. Retries
 * while the permission service has not yet made the operator the platform operator.
 */
export async function ensureServiceAccount({ root, natsUrl, namespace, operator, service, password, log }) {
  // Loaded here, not at the top: the launcher runs before dependencies are installed and built.
  await import('reflect-metadata');
  const contracts = await import(`${root}/contracts/dist/index.js`);
  const nats = await import(`${root}/libs/nats/dist/index.js`);
  const { identityRequests, permissionRequests, ParleyError } = contracts;
  const account = serviceAccounts[service];
  const connection = await nats.connectNats({ url: natsUrl, name: 'parley-launcher' });
  try {
    const rpc = new nats.NatsRpcClient(connection, new nats.Namespace(namespace));
    const login = (email, secret) =>
      rpc.request(identityRequests.login, { tenant: operator.tenant, email, password: secret });
    const refused = (error) => error instanceof ParleyError && error.code === 'unauthenticated';

    const operatorPair = await login(operator.email, operator.password);
    const token = operatorPair.accessToken;
    const platformServiceSetId = '0190a000-0000-7000-8000-000000000007';
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        let userId;
        try {
          userId = (await login(account.email, password)).user.id;
        } catch (error) {
          if (!refused(error)) throw error;
          const user = await rpc.request(
            identityRequests.createUser,
            { email: account.email, password, fullName: account.fullName, kind: 'service' },
            { token },
          );
          userId = user.id;
          log(`created the service account ${account.email}`);
        }
        const { items } = await rpc.request(
          permissionRequests.listAssignments,
          { actorId: userId, limit: 200 },
          { token },
        );
        if (!items.some((item) => item.permissionSetId === platformServiceSetId)) {
          await rpc.request(
            permissionRequests.createAssignment,
            { actorId: userId, permissionSetId: platformServiceSetId },
            { token },
          );
          log(`assigned platform-service to ${account.email}`);
        }
        return { email: account.email, tenant: operator.tenant };
      } catch (error) {
        // Until the permission service has recorded the operator, the operator holds nothing
        // (identity answers `unavailable` while it cannot reach the permission service).
        const waiting = error instanceof ParleyError && ['forbidden', 'unavailable'].includes(error.code);
        if (!waiting || Date.now() > deadline) throw error;
        await new Promise((resolveWait) => setTimeout(resolveWait, 500));
      }
    }
  } finally {
    await connection.drain();
  }
}
