import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { z } from 'zod';
import { headerNames, validationError, type EventContract } from '@parley/contracts';
import { requestContext } from '@parley/logging';

/**
 * Writes many events of one contract and tenant to the outbox in one statement, in the caller's
 * transaction: what OutboxWriter does per event (payload checked against the contract, headers
 * from the request context), for the thousand notification.created events of a broadcast batch.
 * The relay publishes them like any other outbox row.
 */
@Injectable()
export class BulkOutbox {
  async appendMany<P extends z.ZodType>(
    manager: EntityManager,
    contract: EventContract<P>,
    tenantId: string,
    payloads: ReadonlyArray<z.input<P>>,
  ): Promise<void> {
    const encoded = payloads.map((payload) => {
      const checked = contract.payload.safeParse(payload);
      if (!checked.success) {
        throw validationError(`${contract.type} payload`, checked.error);
      }
      return JSON.stringify(checked.data);
    });
    const context = requestContext.get();
    const headers = {
      [headerNames.correlationId]: requestContext.correlationId(),
      [headerNames.tenantId]: tenantId,
      [headerNames.eventType]: contract.type,
      ...(context?.actorId === undefined ? {} : { [headerNames.actorId]: context.actorId }),
    };
    await manager.query(
      `INSERT INTO notification.outbox_events (tenant_id, subject, event_type, payload, headers)
       SELECT $1::uuid, $2::text, $3::text, payload, $5::jsonb FROM unnest($4::jsonb[]) WITH ORDINALITY AS e(payload, position)
       ORDER BY position`,
      [tenantId, contract.subject(tenantId), contract.type, encoded, JSON.stringify(headers)],
    );
  }
}
