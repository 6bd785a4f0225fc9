/**
 * Header names carried by every NATS message (requests, replies and events). Canonical MIME
 * casing, as NATS headers are case-sensitive on the wire.
 */
export const headerNames = {
  correlationId: 'Parley-Correlation-Id',
  tenantId: 'Parley-Tenant-Id',
  actorId: 'Parley-Actor-Id',
  /** `Bearer <access token>`: the verified actor travels as the token itself. */
  authorization: 'Authorization',
  /** JetStream de-duplication id, set on every publish. */
  messageId: 'Nats-Msg-Id',
  /** Client-chosen key that makes a retried command return the first result. */
  idempotencyKey: 'Parley-Idempotency-Key',
  /** The event type (subject without tenant), for consumers that route on it. */
  eventType: 'Parley-Event-Type',
} as const;
export type HeaderName = (typeof headerNames)[keyof typeof headerNames];

/** HTTP header used for the correlation id at the HTTP edge. */
export const httpCorrelationHeader = 'x-correlation-id';
