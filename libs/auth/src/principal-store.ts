import type { ExecutionContext } from '@nestjs/common';
import type { Principal } from '@parley/contracts';

// Keyed by the object that represents one request on its transport, without touching its shape.
const principals = new WeakMap<object, Principal>();

/** The object carrying one request: the HTTP request, the NATS context, or the socket. */
export function requestCarrier(context: ExecutionContext): object | undefined {
  switch (context.getType<'http' | 'rpc' | 'ws'>()) {
    case 'http':
      return context.switchToHttp().getRequest<object>();
    case 'rpc':
      return context.switchToRpc().getContext<object>();
    case 'ws':
      return context.switchToWs().getClient<object>();
    default:
      return undefined;
  }
}

/** Records the verified principal of a request (AuthGuard does; a gateway may too). */
export function attachPrincipal(carrier: object, principal: Principal): void {
  principals.set(carrier, principal);
}

/** The principal verified for this request, if any. */
export function principalOf(context: ExecutionContext): Principal | undefined {
  const carrier = requestCarrier(context);
  return carrier === undefined ? undefined : principals.get(carrier);
}
