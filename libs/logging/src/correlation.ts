import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { httpCorrelationHeader } from '@parley/contracts';
import { requestContext } from './request-context.js';

/** What a caller may send as a correlation id; anything else is replaced by a new one. */
const acceptable = /^[A-Za-z0-9._:-]{1,128}$/;

/** A caller's correlation id when it is acceptable (a plain token), else a new UUID. */
export function acceptCorrelationId(given: string | undefined): string {
  return given !== undefined && acceptable.test(given) ? given : randomUUID();
}

const assigned = new WeakMap<IncomingMessage, string>();

/**
 * The correlation id of an HTTP request: the caller's `x-correlation-id` when acceptable, else a
 * new UUID; decided once per request and echoed in the response header.
 */
export function correlationIdOf(req: IncomingMessage, res: ServerResponse): string {
  const known = assigned.get(req);
  if (known !== undefined) {
    return known;
  }
  // Node joins repeated custom headers into one string, so this is a string or undefined.
  const given = req.headers[httpCorrelationHeader];
  const correlationId = acceptCorrelationId(typeof given === 'string' ? given : undefined);
  assigned.set(req, correlationId);
  if (!res.headersSent) {
    res.setHeader(httpCorrelationHeader, correlationId);
  }
  return correlationId;
}

/** HTTP middleware: the rest of the request runs inside `requestContext` with its correlation id. */
export function requestContextMiddleware(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  requestContext.run({ correlationId: correlationIdOf(req, res) }, next);
}
