import { conversationRequests } from './conversation/index.js';
import { idSchema } from './common.js';

describe('idSchema', () => {
  it('takes a UUID in any case and gives it in lower case, as PostgreSQL writes it', () => {
    expect(idSchema.parse('0190F1A2-0000-7000-8000-00000000ABCD')).toBe(
      '0190f1a2-0000-7000-8000-00000000abcd',
    );
    expect(idSchema.safeParse('not-a-uuid').success).toBe(false);
  });

  it('so requests compare ids by value: one mention, however it is written', () => {
    const upper = '0190F1A2-0000-7000-8000-00000000ABCD';
    const request = conversationRequests.edit.request.parse({
      conversationId: upper,
      messageId: upper.toLowerCase(),
      body: 'Hello',
      mentions: [upper, upper.toLowerCase()],
    });
    expect(request.conversationId).toBe(upper.toLowerCase());
    expect(new Set(request.mentions).size).toBe(1);
  });
});
