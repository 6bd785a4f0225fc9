import { randomUUID } from 'node:crypto';
import { identityRequests, permissionRequests } from '@parley/contracts';
import { ensureServiceAccount, platformServicePermissionSetId } from '@parley/permissions';
import { systemPermissionSets } from '../../permission/src/system-permission-sets.js';
import {
  serviceAccountEmail,
  serviceAccountPassword,
  startPlatform,
  type Platform,
} from './conversation.harness.js';
import { operatorEmail, operatorPassword } from '../../identity/test/identity.harness.js';

/** The set-up step a deployment runs before a service that acts for the platform starts. */
describe('service account set-up', () => {
  let platform: Platform;

  beforeAll(async () => {
    platform = await startPlatform();
  }, 90_000);
  afterAll(() => platform?.stop());

  const operator = { email: operatorEmail, password: operatorPassword };

  it('names the system permission set platform-service', () => {
    expect(platformServicePermissionSetId).toBe(systemPermissionSets.platformService.id);
  });

  it('leaves an account that exists and holds platform-service as it is', async () => {
    await expect(
      ensureServiceAccount({
        rpc: platform.rpc,
        operator,
        account: {
          tenant: 'platform',
          email: serviceAccountEmail,
          password: serviceAccountPassword,
          fullName: 'Conversation',
        },
      }),
    ).resolves.toMatchObject({ created: false, assigned: false });
  });

  it('creates a new account, assigns platform-service, and can log it in', async () => {
    const email = `files-${randomUUID().slice(0, 8)}@parley.test`;
    const lines: string[] = [];
    const outcome = await ensureServiceAccount({
      rpc: platform.rpc,
      operator,
      account: { tenant: 'platform', email, password: 'files-service-password', fullName: 'Files' },
      log: (line) => lines.push(line),
    });
    expect(outcome).toMatchObject({ created: true, assigned: true });
    expect(lines).toEqual([`created the service account ${email}`, `assigned platform-service to ${email}`]);
    const pair = await platform.rpc.request(identityRequests.login, {
      tenant: 'platform',
      email,
      password: 'files-service-password',
    });
    expect(pair.user).toMatchObject({ id: outcome.userId, kind: 'service' });
    const { items } = await platform.rpc.request(
      permissionRequests.listAssignments,
      { actorId: outcome.userId },
      { token: platform.operator.token },
    );
    expect(items.map((item) => item.permissionSetId)).toEqual([platformServicePermissionSetId]);
  });

  it("ends every session it opened, the operator's and the account's", async () => {
    const email = `search-${randomUUID().slice(0, 8)}@parley.test`;
    const account = { tenant: 'platform', email, password: 'search-service-password', fullName: 'Search' };
    const activeSessions = async (who: { email: string; password: string }) => {
      const pair = await platform.rpc.request(identityRequests.login, {
        tenant: 'platform',
        email: who.email,
        password: who.password,
      });
      const { items } = await platform.rpc.request(
        identityRequests.listSessions,
        {},
        { token: pair.accessToken },
      );
      await platform.rpc.request(identityRequests.logout, {}, { token: pair.accessToken });
      // The session just opened to ask is not one of them.
      return items.filter((session) => !session.isCurrent).length;
    };
    const operatorBefore = await activeSessions(operator);
    // Created, then found again by logging the account in.
    await ensureServiceAccount({ rpc: platform.rpc, operator, account });
    await expect(ensureServiceAccount({ rpc: platform.rpc, operator, account })).resolves.toMatchObject({
      created: false,
    });
    expect(await activeSessions(operator)).toBe(operatorBefore);
    expect(await activeSessions(account)).toBe(0);
  });

  it('fails at once, without retrying, when the operator cannot log in', async () => {
    const started = Date.now();
    await expect(
      ensureServiceAccount({
        rpc: platform.rpc,
        operator: { email: operatorEmail, password: 'not-the-password' },
        account: {
          tenant: 'platform',
          email: 'nobody@parley.test',
          password: 'whatever-password',
          fullName: 'Nobody',
        },
        waitMs: 10_000,
      }),
    ).rejects.toMatchObject({ code: 'unauthenticated' });
    // Retrying would have gone on until waitMs ran out.
    expect(Date.now() - started).toBeLessThan(9_000);
  });
});
