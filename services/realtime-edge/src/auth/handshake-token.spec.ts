import { handshakeToken } from './handshake-token.js';

describe('handshakeToken', () => {
  it('takes auth.token first, then the Authorization header, then the query parameter', () => {
    const all = { auth: { token: 'a' }, headers: { authorization: 'Bearer h' }, query: { token: 'q' } };
    expect(handshakeToken(all, true)).toEqual({ found: true, token: 'a', transport: 'auth' });
    expect(handshakeToken({ ...all, auth: {} }, true)).toEqual({
      found: true,
      token: 'h',
      transport: 'header',
    });
    expect(handshakeToken({ query: { token: 'q' } }, true)).toEqual({
      found: true,
      token: 'q',
      transport: 'query',
    });
  });

  it('accepts a Bearer prefix in auth.token and the first of repeated values', () => {
    expect(handshakeToken({ auth: { token: 'Bearer x.y.z' } }, true)).toMatchObject({ token: 'x.y.z' });
    expect(handshakeToken({ headers: { authorization: ['Bearer one', 'Bearer two'] } }, true)).toMatchObject({
      token: 'one',
    });
    expect(handshakeToken({ query: { token: ['first', 'second'] } }, true)).toMatchObject({ token: 'first' });
  });

  it('says why there is no token', () => {
    expect(handshakeToken({}, true)).toEqual({ found: false, reason: 'missing' });
    expect(
      handshakeToken({ auth: { token: '' }, headers: { authorization: '' }, query: { token: '' } }, true),
    ).toEqual({
      found: false,
      reason: 'missing',
    });
    expect(handshakeToken({ auth: { token: 42 } }, true)).toEqual({ found: false, reason: 'missing' });
    expect(handshakeToken({ headers: { authorization: 'Basic abc' } }, true)).toEqual({
      found: false,
      reason: 'malformed_header',
    });
    expect(handshakeToken({ query: { token: 'q' } }, false)).toEqual({
      found: false,
      reason: 'query_token_disabled',
    });
  });
});
