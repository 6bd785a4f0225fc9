import { randomUUID } from 'node:crypto';
import { headers as createHeaders, Match, type MsgHdrs } from '@nats-io/transport-node';
import { headerNames, ParleyError } from '@parley/contracts';
import { acceptCorrelationId, requestContext, type RequestContextValues } from '@parley/logging';
import { reasonOf } from './error-details.js';

/**
 * The request context a received message carries; a new correlation id when it has none or one
 * that is not a plain token.
 */
export function contextFromHeaders(headers: MsgHdrs | undefined): RequestContextValues {
  const given = headerValue(headers, headerNames.correlationId);
  // The same rule as the HTTP edge: a caller's correlation id is kept only when it is a plain token.
  const correlationId = acceptCorrelationId(given);
  const tenantId = headerValue(headers, headerNames.tenantId);
  const actorId = headerValue(headers, headerNames.actorId);
  return {
    correlationId,
    ...(tenantId === undefined ? {} : { tenantId }),
    ...(actorId === undefined ? {} : { actorId }),
  };
}

/**
 * One header's value, undefined when absent or empty. Read case-insensitively: Parley writes
 * canonical casing, but other NATS clients may not.
 */
export function headerValue(headers: MsgHdrs | undefined, name: string): string | undefined {
  const value = headers?.get(name, Match.IgnoreCase);
  return value === undefined || value === '' ? undefined : value;
}

/** Every header of a message as a plain record (first value of each). */
export function headersToRecord(headers: MsgHdrs | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  if (headers) {
    for (const key of headers.keys()) {
      record[key] = headers.get(key);
    }
  }
  return record;
}

/**
 * Headers of an outgoing message: correlation, tenant and actor of the current request context,
 * then `explicit` on top (an explicit value wins, whatever its casing; an empty one removes).
 */
export function outgoingHeaders(explicit: Record<string, string> = {}): MsgHdrs {
  const context = requestContext.get();
  const values = new Map<string, [string, string | undefined]>();
  const put = (name: string, value: string | undefined): void => {
    values.set(name.toLowerCase(), [name, value]);
  };
  put(headerNames.correlationId, context?.correlationId ?? randomUUID());
  put(headerNames.tenantId, context?.tenantId);
  put(headerNames.actorId, context?.actorId);
  for (const [name, value] of Object.entries(explicit)) {
    put(name, value);
  }
  const headers = createHeaders();
  for (const [name, value] of values.values()) {
    if (value === undefined || value === '') {
      continue;
    }
    try {
      headers.set(name, value);
    } catch (error) {
      throw new ParleyError('validation_failed', `Invalid message header "${name}"`, {
        reason: reasonOf(error),
      });
    }
  }
  return headers;
}
