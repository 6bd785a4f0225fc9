import { commonVariables, defineConfig, env } from '@parley/config';
import { identityRequests, ParleyError, permissionRequests } from '@parley/contracts';
import type { NatsRpcClient } from '@parley/nats';
import { serviceAccountVariables } from '../service-account.js';

/** The system permission set `platform-service` (`permission:standing:set`). */
export const platformServicePermissionSetId = '0190a000-0000-7000-8000-000000000007';

/** What `node libs/permissions/dist/service-account/main.js` reads from the environment. */
export const serviceAccountSetupConfig = defineConfig({
  NATS_URL: commonVariables.NATS_URL,
  NATS_NAMESPACE: commonVariables.NATS_NAMESPACE,
  PLATFORM_OPERATOR_EMAIL: env.string({ description: 'Email of a platform operator of the platform tenant' }),
  PLATFORM_OPERATOR_PASSWORD: env.string({ description: "The operator's password", secret: true }),
  SERVICE_ACCOUNT_NAME: env.string({
    description: 'Full name of the service account, e.g. "Conversation service"',
  }),
  ...serviceAccountVariables,
});

export interface ServiceAccountSetup {
  rpc: NatsRpcClient;
  /** A platform operator: logs in to the account's tenant (the platform tenant). */
  operator: { email: string; password: string };
  account: { tenant: string; email: string; password: string; fullName: string };
  /** How long to wait for identity and the permission service to recognise the operator. */
  waitMs?: number;
  log?: (line: string) => void;
}

export interface ServiceAccountOutcome {
  userId: string;
  /** Whether the account was created now (false: it existed, its password works). */
  created: boolean;
  /** Whether platform-service was assigned now (false: it was held already). */
  assigned: boolean;
}

/**
 * Makes sure a service's own account exists and holds `platform-service`, as a platform operator
 * would by hand: `identity.v1.user.create` (kind `service`), then `permission.v1.assignment.create`.
 * Idempotent: an existing account is recognised by logging in with its password, an existing
 * assignment is kept. Waits while the platform has just started (the permission service has not
 * recorded the operator yet, or identity cannot reach it).
 */
export async function ensureServiceAccount(setup: ServiceAccountSetup): Promise<ServiceAccountOutcome> {
  const { rpc, account } = setup;
  const log = setup.log ?? (() => undefined);
  const login = (email: string, password: string) =>
    rpc.request(identityRequests.login, { tenant: account.tenant, email, password });
  // Every login is a session in identity: each one made here is ended before returning.
  const logout = async (accessToken: string, whose: string) => {
    try {
      await rpc.request(identityRequests.logout, {}, { token: accessToken });
    } catch (error) {
      log(`could not end the session of ${whose}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const deadline = Date.now() + (setup.waitMs ?? 30_000);
  for (;;) {
    // A fresh login per attempt: a wait can outlast an access token.
    let operatorToken: string | undefined;
    try {
      operatorToken = (await login(setup.operator.email, setup.operator.password)).accessToken;
      return await assignPlatformService(setup, operatorToken, login, logout, log);
    } catch (error) {
      const starting = error instanceof ParleyError && ['forbidden', 'unavailable'].includes(error.code);
      if (!starting || Date.now() > deadline) {
        throw error;
      }
    } finally {
      if (operatorToken !== undefined) {
        await logout(operatorToken, setup.operator.email);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** One attempt: the account (found by its password, else created), then its assignment. */
async function assignPlatformService(
  { rpc, account }: ServiceAccountSetup,
  token: string,
  login: (email: string, password: string) => Promise<{ accessToken: string; user: { id: string } }>,
  logout: (accessToken: string, whose: string) => Promise<void>,
  log: (line: string) => void,
): Promise<ServiceAccountOutcome> {
  let userId: string;
  let created = false;
  try {
    const session = await login(account.email, account.password);
    userId = session.user.id;
    await logout(session.accessToken, account.email);
  } catch (error) {
    if (!(error instanceof ParleyError && error.code === 'unauthenticated')) {
      throw error;
    }
    const user = await rpc.request(
      identityRequests.createUser,
      { email: account.email, password: account.password, fullName: account.fullName, kind: 'service' },
      { token },
    );
    userId = user.id;
    created = true;
    log(`created the service account ${account.email}`);
  }
  const { items } = await rpc.request(
    permissionRequests.listAssignments,
    { actorId: userId, limit: 200 },
    { token },
  );
  const held = items.some((item) => item.permissionSetId === platformServicePermissionSetId);
  if (!held) {
    await rpc.request(
      permissionRequests.createAssignment,
      { actorId: userId, permissionSetId: platformServicePermissionSetId },
      { token },
    );
    log(`assigned platform-service to ${account.email}`);
  }
  return { userId, created, assigned: !held };
}
