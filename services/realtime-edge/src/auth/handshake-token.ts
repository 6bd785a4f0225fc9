/** The parts of a Socket.IO handshake that may carry an access token. */
export interface HandshakeLike {
  readonly auth?: Record<string, unknown>;
  readonly headers?: Record<string, string | string[] | undefined>;
  readonly query?: Record<string, string | string[] | undefined>;
}

/** Where the token of a connection came from, in the order the edge looks. */
export type TokenTransport = 'auth' | 'header' | 'query';

export type HandshakeToken =
  | { readonly found: true; readonly token: string; readonly transport: TokenTransport }
  | { readonly found: false; readonly reason: 'missing' | 'query_token_disabled' | 'malformed_header' };

const bearer = /^Bearer +([^ ]+) *$/i;

function first(value: string | string[] | undefined): string | undefined {
  const one = Array.isArray(value) ? value[0] : value;
  return one === undefined || one.length === 0 ? undefined : one;
}

/**
 * The access token of a handshake: `auth.token` (what browsers can send), then the
 * `Authorization: Bearer` header (Node clients, proxies), then the `token` query parameter when
 * the edge accepts it. `auth.token` may carry the `Bearer ` prefix too.
 */
export function handshakeToken(handshake: HandshakeLike, acceptQuery: boolean): HandshakeToken {
  const auth = handshake.auth?.['token'];
  if (typeof auth === 'string' && auth.length > 0) {
    return { found: true, token: bearer.exec(auth)?.[1] ?? auth, transport: 'auth' };
  }
  const header = first(handshake.headers?.['authorization']);
  if (header !== undefined) {
    const token = bearer.exec(header)?.[1];
    return token === undefined
      ? { found: false, reason: 'malformed_header' }
      : { found: true, token, transport: 'header' };
  }
  const query = first(handshake.query?.['token']);
  if (query !== undefined) {
    return acceptQuery
      ? { found: true, token: query, transport: 'query' }
      : { found: false, reason: 'query_token_disabled' };
  }
  return { found: false, reason: 'missing' };
}
