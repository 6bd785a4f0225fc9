/**
 * The one subject grammar. Nothing outside contracts/ spells a subject.
 *
 *   requests  <service>.v1.<entity>.<verb>                       e.g. identity.v1.session.login
 *   events    <service>.v1.events.<tenant-id>.<entity>.<event>   e.g. identity.v1.events.<uuid>.user.created
 *
 * Tenant ids are in event subjects (not only in headers) so that a subscriber, and a NATS account
 * permission, can be limited to one tenant. Requests carry the tenant in headers: the verified
 * access token decides it, not the subject.
 */
export const serviceNames = [
  'identity',
  'permission',
  'conversation',
  'notification',
  'file',
  'realtime-edge',
] as const;
export type ServiceName = (typeof serviceNames)[number];

const token = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

function checkToken(kind: string, value: string): string {
  if (!token.test(value)) {
    throw new Error(`Invalid subject ${kind} "${value}": lowercase kebab-case expected`);
  }
  return value;
}

export const apiVersion = 'v1';

export function requestSubject(service: ServiceName, entity: string, verb: string): string {
  return `${service}.${apiVersion}.${checkToken('entity', entity)}.${checkToken('verb', verb)}`;
}

/** The tenant-independent part of an event subject: `<entity>.<event>`. */
export function eventType(entity: string, event: string): string {
  return `${checkToken('entity', entity)}.${checkToken('event', event)}`;
}

export function eventSubject(service: ServiceName, tenantId: string, type: string): string {
  if (tenantId.length === 0 || /[.*>\s]/.test(tenantId)) {
    throw new Error(`Invalid tenant id in event subject: "${tenantId}"`);
  }
  return `${service}.${apiVersion}.events.${tenantId}.${type}`;
}

/** Subject filter for one event type of one service, across tenants (or one tenant). */
export function eventFilter(service: ServiceName, type: string, tenantId = '*'): string {
  return `${service}.${apiVersion}.events.${tenantId}.${type}`;
}

/** Everything a service's event stream captures. */
export function eventStreamSubjects(service: ServiceName): string[] {
  return [`${service}.${apiVersion}.events.>`];
}

/** JetStream stream name of a service's events (stream names allow no dots). */
export function eventStreamName(service: ServiceName): string {
  return `${service.replace(/-/g, '_')}_events`;
}

/** Splits an event subject back into its parts; undefined when it is not one. */
export function parseEventSubject(
  subject: string,
): { service: string; tenantId: string; type: string } | undefined {
  const parts = subject.split('.');
  if (parts.length !== 6 || parts[1] !== apiVersion || parts[2] !== 'events') {
    return undefined;
  }
  const [service, , , tenantId, entity, event] = parts as [string, string, string, string, string, string];
  return { service, tenantId, type: `${entity}.${event}` };
}

/** Where a consumer records a message it gave up on: `<service>.v1.dead-letters.<consumer>`. */
export function deadLetterSubject(service: ServiceName, consumer: string): string {
  return `${service}.${apiVersion}.dead-letters.${checkToken('consumer', consumer)}`;
}

/** The one stream holding every service's dead letters, for inspection and replay. */
export const deadLetterStream = {
  name: 'dead_letters',
  subjects: [`*.${apiVersion}.dead-letters.>`],
} as const;
