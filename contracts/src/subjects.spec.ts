import {
  deadLetterSubject,
  eventFilter,
  eventStreamName,
  eventStreamSubjects,
  eventSubject,
  eventType,
  parseEventSubject,
  requestSubject,
} from './subjects.js';

const tenant = '0193a5e0-0000-7000-8000-000000000001';

describe('subject grammar', () => {
  it('builds request subjects as <service>.v1.<entity>.<verb>', () => {
    expect(requestSubject('identity', 'session', 'login')).toBe('identity.v1.session.login');
    expect(requestSubject('permission', 'permission-set', 'create')).toBe(
      'permission.v1.permission-set.create',
    );
  });

  it('refuses tokens that would break the grammar', () => {
    expect(() => requestSubject('identity', 'Session', 'login')).toThrow(/lowercase kebab-case/);
    expect(() => requestSubject('identity', 'session', 'log.in')).toThrow(/Invalid subject verb/);
    expect(() => eventType('user', 'created>')).toThrow(/Invalid subject event/);
  });

  it('puts the tenant into event subjects and parses them back', () => {
    const subject = eventSubject('identity', tenant, eventType('user', 'created'));
    expect(subject).toBe(`identity.v1.events.${tenant}.user.created`);
    expect(parseEventSubject(subject)).toEqual({
      service: 'identity',
      tenantId: tenant,
      type: 'user.created',
    });
    expect(parseEventSubject('identity.v1.session.login')).toBeUndefined();
    expect(parseEventSubject('identity.v2.events.t.user.created')).toBeUndefined();
  });

  it('refuses tenant ids that are empty or contain wildcards', () => {
    expect(() => eventSubject('identity', '', 'user.created')).toThrow(/Invalid tenant id/);
    expect(() => eventSubject('identity', 'a.b', 'user.created')).toThrow(/Invalid tenant id/);
    expect(() => eventSubject('identity', '*', 'user.created')).toThrow(/Invalid tenant id/);
  });

  it('names streams, filters and dead letters consistently', () => {
    expect(eventFilter('identity', 'user.created')).toBe('identity.v1.events.*.user.created');
    expect(eventFilter('identity', 'user.created', tenant)).toBe(`identity.v1.events.${tenant}.user.created`);
    expect(eventStreamSubjects('identity')).toEqual(['identity.v1.events.>']);
    expect(eventStreamName('realtime-edge')).toBe('realtime_edge_events');
    expect(deadLetterSubject('notification', 'message-created')).toBe(
      'notification.v1.dead-letters.message-created',
    );
  });
});
