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
 * Makes sure the service's account exists and holds platform-service, with the same step a
 * deployment runs (`ensureServiceAccount` of @parley/permissions, also behind
 * `node libs/permissions/dist/service-account/main.js`).
 */
export async function ensureServiceAccount({ root, natsUrl, namespace, operator, service, password, log }) {
  // Loaded here, not at the top: the launcher runs before dependencies are installed and built.
  await import('reflect-metadata');
  const nats = await import(`${root}/libs/nats/dist/index.js`);
  const permissions = await import(`${root}/libs/permissions/dist/index.js`);
  const account = serviceAccounts[service];
  const connection = await nats.connectNats({ url: natsUrl, name: 'parley-launcher' });
  try {
    await permissions.ensureServiceAccount({
      rpc: new nats.NatsRpcClient(connection, new nats.Namespace(namespace)),
      operator: { email: operator.email, password: operator.password },
      account: { tenant: operator.tenant, email: account.email, password, fullName: account.fullName },
      log,
    });
    return { email: account.email, tenant: operator.tenant };
  } finally {
    await connection.drain();
  }
}
