import type { EntityManager } from 'typeorm';
import { z } from 'zod';
import { headerNames, ParleyError, validationError, type EventContract } from '@parley/contracts';
import { requestContext } from '@parley/logging';
import { checkIdentifier, quoteIdentifier } from './sql-names.js';

export interface AppendOptions {
  /** Headers that win over those taken from the request context. */
  headers?: Record<string, string>;
  /** The event id (a UUID); a new time-ordered one by default. */
  id?: string;
}

export interface AppendedEvent {
  id: string;
  subject: string;
}

const uuid = z.uuid();
const reservedHeaders = new Set([headerNames.messageId.toLowerCase()]);

/**
 * Writes events to the schema's outbox in the caller's transaction, so an event exists if and
 * only if the state change it announces was committed. The relay publishes it later.
 */
export class OutboxWriter {
  private readonly table: string;

  constructor(schema: string) {
    this.table = `${quoteIdentifier(checkIdentifier('schema', schema))}.outbox_events`;
  }

  /** The schema-qualified outbox table, for statements that insert prepared events themselves. */
  get tableName(): string {
    return this.table;
  }

  /**
   * Validates `payload` against the contract and inserts the event. Correlation and actor ids are
   * captured from the request context now, because the relay publishes outside of it.
   */
  async append<P extends z.ZodType>(
    manager: EntityManager,
    contract: EventContract<P>,
    tenantId: string,
    payload: z.input<P>,
    options: AppendOptions = {},
  ): Promise<AppendedEvent> {
    if (!manager.queryRunner?.isTransactionActive) {
      throw new ParleyError('internal', 'OutboxWriter.append needs the EntityManager of an open transaction');
    }
    if (options.id !== undefined && !uuid.safeParse(options.id).success) {
      throw new ParleyError('validation_failed', 'An event id is a UUID', { id: options.id });
    }
    const event = this.prepare(contract, tenantId, payload, options.headers);
    const columns = ['tenant_id', 'subject', 'event_type', 'payload', 'headers'];
    const values: unknown[] = [event.tenantId, event.subject, event.eventType, event.payload, event.headers];
    if (options.id !== undefined) {
      columns.unshift('id');
      values.unshift(options.id);
    }
    const placeholders = values.map((_, index) => `$${index + 1}`).join(', ');
    try {
      const rows: unknown = await manager.query(
        `INSERT INTO ${this.table} (${columns.join(', ')}) VALUES (${placeholders}) RETURNING id`,
        values,
      );
      const id = Array.isArray(rows) ? (rows[0] as { id?: unknown } | undefined)?.id : undefined;
      if (typeof id !== 'string') {
        throw new ParleyError('internal', 'The outbox insert returned no id');
      }
      return { id, subject: event.subject };
    } catch (error) {
      if (pgCodeOf(error) === '23505') {
        const failure = new ParleyError('conflict', `Event ${options.id ?? ''} is already in the outbox`, {
          id: options.id,
        });
        failure.cause = error;
        throw failure;
      }
      throw error;
    }
  }

  /**
   * The row `append` would insert, validated, with the request context's headers captured now:
   * for a statement that inserts many events at once, in the same statement as the state change
   * they announce (so no transaction needs to be opened around it). Its id is the column default.
   */
  prepare<P extends z.ZodType>(
    contract: EventContract<P>,
    tenantId: string,
    payload: z.input<P>,
    headers: Record<string, string> = {},
  ): PreparedEvent {
    if (!uuid.safeParse(tenantId).success) {
      throw new ParleyError('validation_failed', 'The tenant id of an event is a UUID', { tenantId });
    }
    const checked = contract.payload.safeParse(payload);
    if (!checked.success) {
      throw validationError(`${contract.type} payload`, checked.error);
    }
    return {
      tenantId,
      subject: contract.subject(tenantId),
      eventType: contract.type,
      payload: JSON.stringify(checked.data ?? null),
      headers: JSON.stringify({ ...contextHeaders(tenantId, contract.type), ...checkHeaders(headers) }),
    };
  }
}

/** An outbox row ready to insert: the payload and headers as JSON text. */
export interface PreparedEvent {
  tenantId: string;
  subject: string;
  eventType: string;
  payload: string;
  headers: string;
}

function contextHeaders(tenantId: string, eventType: string): Record<string, string> {
  const context = requestContext.get();
  return {
    [headerNames.correlationId]: requestContext.correlationId(),
    [headerNames.tenantId]: tenantId,
    [headerNames.eventType]: eventType,
    ...(context?.actorId === undefined ? {} : { [headerNames.actorId]: context.actorId }),
  };
}

function checkHeaders(headers: Record<string, string>): Record<string, string> {
  for (const [name, value] of Object.entries(headers)) {
    if (name === '' || /[\s:]/.test(name) || typeof value !== 'string' || /[\r\n]/.test(value)) {
      throw new ParleyError('validation_failed', `Invalid event header "${name}"`, { header: name });
    }
    if (reservedHeaders.has(name.toLowerCase())) {
      throw new ParleyError('validation_failed', `${name} is the event id; set options.id instead`, {
        header: name,
      });
    }
  }
  return headers;
}

/** The PostgreSQL error code behind a driver or TypeORM error. */
export function pgCodeOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 3 && typeof current === 'object' && current !== null; depth += 1) {
    if ('code' in current && typeof current.code === 'string') {
      return current.code;
    }
    current = 'driverError' in current ? current.driverError : undefined;
  }
  return undefined;
}
