import { headers as natsHeaders, type Msg } from '@nats-io/transport-node';
import { headerNames, ParleyError } from '@parley/contracts';
import { requestContext } from '@parley/logging';
import {
  decodeJsonBody,
  internalErrorEnvelope,
  ParleyReplySerializer,
  ParleyRequestDeserializer,
  toErrorEnvelope,
} from './rpc.codec.js';
import { thrownBy } from '@parley/testing';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

function message(body: string, reply?: string): Msg {
  return { data: encode(body), reply, subject: 's', headers: natsHeaders() } as unknown as Msg;
}

describe('ParleyRequestDeserializer', () => {
  const deserializer = new ParleyRequestDeserializer();

  it('reads the body as the payload and the subscribed subject as the pattern', () => {
    expect(
      deserializer.deserialize(message('{"a":1}', '_INBOX.1'), { channel: 'identity.v1.user.get' }),
    ).toEqual({
      pattern: 'identity.v1.user.get',
      data: { a: 1 },
      id: '_INBOX.1',
    });
  });

  it('treats a message without reply subject as an event', () => {
    expect(deserializer.deserialize(message('[1]'), { channel: 'p' })).toEqual({ pattern: 'p', data: [1] });
  });

  it('refuses malformed JSON and invalid UTF-8 as validation_failed', () => {
    expect(thrownBy(() => deserializer.deserialize(message('{', 'r'), { channel: 'p' }))).toMatchObject({
      code: 'validation_failed',
    });
    expect(() => decodeJsonBody(new Uint8Array([0x22, 0xff, 0x22]))).toThrow(ParleyError);
  });

  it('reads an empty body as an absent payload', () => {
    expect(decodeJsonBody(new Uint8Array())).toBeUndefined();
  });
});

describe('ParleyReplySerializer', () => {
  const serializer = new ParleyReplySerializer();

  it('wraps a response in the ok envelope with the correlation id header', () => {
    const reply = serializer.serialize({ response: { id: 1 } }, { correlationId: 'c-1' });
    expect(JSON.parse(reply.data)).toEqual({ ok: true, data: { id: 1 } });
    expect(reply.headers.get(headerNames.correlationId)).toBe('c-1');
  });

  it('takes the correlation id from the request context when none is given', () => {
    const reply = requestContext.run({ correlationId: 'from-context' }, () =>
      serializer.serialize({ response: null }),
    );
    expect(reply.headers.get(headerNames.correlationId)).toBe('from-context');
  });

  it('writes ParleyErrors and envelopes as they are, and anything else as internal', () => {
    const parley = serializer.serialize(
      { err: new ParleyError('conflict', 'Taken', { field: 'email' }) },
      {},
    );
    expect(JSON.parse(parley.data)).toEqual({
      ok: false,
      error: { code: 'conflict', message: 'Taken', details: { field: 'email' } },
    });
    const envelope = serializer.serialize({ err: { code: 'forbidden', message: 'No' } });
    expect(JSON.parse(envelope.data)).toEqual({ ok: false, error: { code: 'forbidden', message: 'No' } });
    const other = serializer.serialize({ err: { status: 'error', message: 'Internal server error' } });
    expect(JSON.parse(other.data)).toEqual({ ok: false, error: internalErrorEnvelope });
  });

  it('throws on a response JSON cannot hold', () => {
    expect(() => serializer.serialize({ response: { n: 1n } })).toThrow(TypeError);
  });
});

describe('toErrorEnvelope', () => {
  it('knows only ParleyErrors and well-formed envelopes', () => {
    expect(toErrorEnvelope(new ParleyError('not_found', 'Gone'))).toEqual({
      code: 'not_found',
      message: 'Gone',
    });
    expect(toErrorEnvelope({ code: 'made_up', message: 'x' })).toBeUndefined();
    expect(toErrorEnvelope(new Error('x'))).toBeUndefined();
  });
});
