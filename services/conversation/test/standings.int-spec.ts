import { conversationRequests as api, type Tenant } from '@parley/contracts';
import { parleyErrorOf, withClient } from '@parley/testing';
import { startPlatform, type Person, type Platform } from './conversation.harness.js';

/** A token the permission service refuses: the service account cannot set standings. */
class RefusedTokens {
  resets = 0;

  accessToken(): Promise<string> {
    return Promise.resolve('not-a-token');
  }

  reset(): void {
    this.resets += 1;
  }
}

describe('standings that cannot be set', () => {
  let platform: Platform;
  let school: Tenant;
  let ada: Person;
  let bob: Person;
  const tokens = new RefusedTokens();

  beforeAll(async () => {
    platform = await startPlatform({}, { standingsTokens: tokens });
    school = await platform.tenant('school');
    [ada, bob] = await Promise.all([platform.person(school, 'Ada'), platform.person(school, 'Bob')]);
  }, 90_000);
  afterAll(() => platform?.stop());

  const conversations = () =>
    withClient(platform.database.url, async (client) =>
      Number(
        (await client.query<{ count: string }>('SELECT count(*) FROM conversation.conversations')).rows[0]
          ?.count,
      ),
    );

  it('answer unavailable and leave nothing behind, after one fresh login', async () => {
    const group = await parleyErrorOf(platform.call(ada, api.createGroup, { title: 'Never' }));
    expect(group).toMatchObject({ code: 'unavailable', details: { reason: 'unauthenticated' } });
    expect(tokens.resets).toBe(1);
    const direct = await parleyErrorOf(platform.call(ada, api.getOrCreateDirect, { userId: bob.id }));
    expect(direct.code).toBe('unavailable');
    expect(await conversations()).toBe(0);
    const events = await platform.events();
    expect(events).toEqual([]);
  });
});
