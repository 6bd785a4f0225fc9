import { ParleyError } from '@parley/contracts';
import { Namespace } from './namespace.js';
import { thrownBy } from '@parley/testing';

describe('Namespace', () => {
  it('prefixes subjects and turns the prefix into a stream-safe one for JetStream names', () => {
    const ns = new Namespace('t-w1.ab');
    expect(ns.subject('identity.v1.user.get')).toBe('t-w1.ab.identity.v1.user.get');
    expect(ns.stream('identity_events')).toBe('t_w1_ab_identity_events');
    expect(ns.isRoot).toBe(false);
  });

  it('leaves everything as it is when empty (production)', () => {
    const ns = new Namespace('');
    expect(ns.subject('identity.v1.user.get')).toBe('identity.v1.user.get');
    expect(ns.stream('identity_events')).toBe('identity_events');
    expect(ns.strip('identity.v1.user.get')).toBe('identity.v1.user.get');
    expect(ns.isRoot).toBe(true);
    expect(new Namespace().isRoot).toBe(true);
    expect(Namespace.root.subject('a.b')).toBe('a.b');
  });

  it('strips its own prefix and refuses a subject from elsewhere', () => {
    const ns = new Namespace('t-abc');
    expect(ns.strip('t-abc.identity.v1.user.get')).toBe('identity.v1.user.get');
    expect(ns.contains('t-abc.x')).toBe(true);
    expect(ns.contains('t-abcd.x')).toBe(false);
    expect(ns.contains('t-abc.')).toBe(false);
    expect(() => ns.strip('t-other.identity.v1.user.get')).toThrow(ParleyError);
    expect(thrownBy(() => ns.strip('t-abc.'))).toMatchObject({ code: 'internal' });
  });

  it('tells its own streams, buckets and object stores from the rest; the root owns none', () => {
    const ns = new Namespace('t-w1.ab');
    expect(ns.ownsStream(ns.stream('conversation_events'))).toBe(true);
    expect(ns.ownsStream(`KV_${ns.stream('realtime_presence')}`)).toBe(true);
    expect(ns.ownsStream(`OBJ_${ns.stream('files')}`)).toBe(true);
    expect(ns.ownsStream(new Namespace('t-w1.ab.nested').stream('x'))).toBe(true);
    expect(ns.ownsStream(new Namespace('t-w1.abc').stream('conversation_events'))).toBe(false);
    expect(ns.ownsStream('conversation_events')).toBe(false);
    expect(ns.ownsStream('KV_t_w1_ab_')).toBe(false);
    expect(Namespace.root.ownsStream('conversation_events')).toBe(false);
  });

  it.each(['a b', 'a.', '.a', 'a..b', 'a.*', 'a>', 'ä'])('rejects the namespace %j', (prefix) => {
    expect(thrownBy(() => new Namespace(prefix))).toMatchObject({ code: 'validation_failed' });
  });
});
