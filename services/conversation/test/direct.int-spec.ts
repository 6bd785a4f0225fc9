import { randomUUID } from 'node:crypto';
import { conversationRequests as api, type Tenant } from '@parley/contracts';
import { parleyErrorOf } from '@parley/testing';
import { publishedEvents, startPlatform, type Person, type Platform } from './conversation.harness.js';

describe('direct conversations', () => {
  let platform: Platform;
  let school: Tenant;
  let ada: Person;
  let bob: Person;

  beforeAll(async () => {
    platform = await startPlatform({ LOG_LEVEL: 'error' });
    school = await platform.tenant('school');
    [ada, bob] = await Promise.all([platform.person(school, 'Ada'), platform.person(school, 'Bob')]);
  }, 90_000);
  afterAll(() => platform?.stop());

  it('get-or-create then send: both are members, the message is numbered and published', async () => {
    const conversation = await platform.call(ada, api.getOrCreateDirect, { userId: bob.id });
    expect(conversation).toMatchObject({ kind: 'direct', visibility: 'private', participantCount: 2 });
    expect(conversation.directUserIds).toEqual([ada.id, bob.id].sort());
    const again = await platform.call(bob, api.getOrCreateDirect, { userId: ada.id });
    expect(again.id).toBe(conversation.id);

    const message = await platform.call(ada, api.send, {
      conversationId: conversation.id,
      clientMessageId: randomUUID(),
      body: 'Hello Bob',
    });
    expect(message).toMatchObject({ sequence: 1, status: 'published', senderId: ada.id, body: 'Hello Bob' });
    const history = await platform.call(bob, api.history, { conversationId: conversation.id });
    expect(history.items.map((item) => item.body)).toEqual(['Hello Bob']);
    const created = await publishedEvents(platform, (event) => event.type === 'message.created');
    expect(created[0]).toMatchObject({ tenantId: school.id, payload: { message: { sequence: 1 } } });
  });

  it('refuses a peer that is not a user of the tenant, and the caller as peer', async () => {
    const stranger = randomUUID();
    const error = await parleyErrorOf(platform.call(ada, api.getOrCreateDirect, { userId: stranger }));
    expect(error).toMatchObject({ code: 'not_found', details: { userIds: [stranger] } });
    await expect(platform.call(ada, api.getOrCreateDirect, { userId: ada.id })).rejects.toMatchObject({
      code: 'validation_failed',
    });
  });
});
