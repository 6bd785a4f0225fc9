import type { ExecutionContext } from '@nestjs/common';
import { headerNames, type Principal } from '@parley/contracts';

/**
 * How the actor's own access token reaches the permission cache, which asks the permission service
 * with it on a miss. The guard reads it from the request (HTTP `Authorization` header, NATS
 * `Authorization` header, Socket.IO handshake `auth.token`, or a token a gateway attached), and
 * remembers it beside the principal object AuthGuard attached, so `PermissionChecker` finds it for
 * checks made later in the same request. Weak maps: nothing outlives the request.
 */
const tokensByCarrier = new WeakMap<object, string>();
const tokensByPrincipal = new WeakMap<Principal, string>();

// The same form TokenVerifier accepts.
const bearer = /^Bearer +([^ ]+) *$/i;

/**
 * Records the access token of a connection whose principal a gateway verified itself (Socket.IO):
 * call it with the socket beside `attachPrincipal(socket, principal)`, and again when the client
 * sends a fresh token.
 */
export function attachAccessToken(carrier: object, token: string): void {
  tokensByCarrier.set(carrier, token);
}

/** The access token of the request, if it carries one. */
export function accessTokenOf(context: ExecutionContext): string | undefined {
  switch (context.getType<'http' | 'rpc' | 'ws'>()) {
    case 'http': {
      const request = context.switchToHttp().getRequest<{ headers?: Record<string, unknown> }>();
      return attachedOr(request, () => fromBearer(request.headers?.['authorization']));
    }
    case 'rpc': {
      const nats = context.switchToRpc().getContext<{ getHeaders?: () => unknown }>();
      return attachedOr(nats, () => {
        // Read exactly as AuthGuard reads it, so the token used is the token verified.
        const headers = typeof nats.getHeaders === 'function' ? nats.getHeaders() : undefined;
        return hasGet(headers) ? fromBearer(headers.get(headerNames.authorization)) : undefined;
      });
    }
    case 'ws': {
      const socket = context.switchToWs().getClient<{ handshake?: SocketHandshake }>();
      return attachedOr(socket, () => {
        const handshake = socket.handshake;
        const auth = handshake?.auth?.['token'];
        if (typeof auth === 'string' && auth.length > 0) {
          return bearer.exec(auth)?.[1] ?? auth;
        }
        return fromBearer(handshake?.headers?.['authorization']);
      });
    }
    default:
      return undefined;
  }
}

/** Remembers the token a principal was verified from, for later checks in the same request. */
export function rememberAccessToken(principal: Principal, token: string): void {
  tokensByPrincipal.set(principal, token);
}

/** The token the guard saw with this principal object, if any. */
export function accessTokenFor(principal: Principal): string | undefined {
  return tokensByPrincipal.get(principal);
}

interface SocketHandshake {
  auth?: Record<string, unknown>;
  headers?: Record<string, unknown>;
}

function attachedOr(carrier: unknown, read: () => string | undefined): string | undefined {
  if (typeof carrier === 'object' && carrier !== null) {
    const attached = tokensByCarrier.get(carrier);
    if (attached !== undefined) {
      return attached;
    }
  }
  return read();
}

function fromBearer(header: unknown): string | undefined {
  const value = Array.isArray(header) ? (header as unknown[])[0] : header;
  return typeof value === 'string' ? bearer.exec(value)?.[1] : undefined;
}

function hasGet(headers: unknown): headers is { get(name: string): string } {
  return (
    typeof headers === 'object' &&
    headers !== null &&
    typeof (headers as { get?: unknown }).get === 'function'
  );
}
