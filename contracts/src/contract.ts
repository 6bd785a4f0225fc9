import type { z } from 'zod';
import { eventSubject, eventType, requestSubject, type ServiceName } from './subjects.js';

/** What a request/reply operation needs from its caller. */
export type Authentication = 'none' | 'actor';

export interface RequestContract<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  readonly kind: 'request';
  readonly service: ServiceName;
  readonly subject: string;
  readonly summary: string;
  /** 'actor': an access token in the Authorization header is verified before the handler runs. */
  readonly authentication: Authentication;
  readonly request: Req;
  readonly response: Res;
}

export interface EventContract<P extends z.ZodType = z.ZodType> {
  readonly kind: 'event';
  readonly service: ServiceName;
  /** `<entity>.<event>`, the tenant-independent part of the subject. */
  readonly type: string;
  readonly summary: string;
  readonly payload: P;
  subject(tenantId: string): string;
}

export type RequestOf<C> = C extends RequestContract<infer Req, z.ZodType> ? z.input<Req> : never;
export type ParsedRequestOf<C> = C extends RequestContract<infer Req, z.ZodType> ? z.output<Req> : never;
export type ResponseOf<C> = C extends RequestContract<z.ZodType, infer Res> ? z.output<Res> : never;
export type PayloadOf<C> = C extends EventContract<infer P> ? z.output<P> : never;

export function defineRequest<Req extends z.ZodType, Res extends z.ZodType>(definition: {
  service: ServiceName;
  entity: string;
  verb: string;
  summary: string;
  authentication: Authentication;
  request: Req;
  response: Res;
}): RequestContract<Req, Res> {
  return {
    kind: 'request',
    service: definition.service,
    subject: requestSubject(definition.service, definition.entity, definition.verb),
    summary: definition.summary,
    authentication: definition.authentication,
    request: definition.request,
    response: definition.response,
  };
}

export function defineEvent<P extends z.ZodType>(definition: {
  service: ServiceName;
  entity: string;
  event: string;
  summary: string;
  payload: P;
}): EventContract<P> {
  const type = eventType(definition.entity, definition.event);
  return {
    kind: 'event',
    service: definition.service,
    type,
    summary: definition.summary,
    payload: definition.payload,
    subject: (tenantId: string) => eventSubject(definition.service, tenantId, type),
  };
}
