import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  ParleyError,
  type notificationRequests,
  type ParsedRequestOf,
  type Principal,
  type ResponseOf,
} from '@parley/contracts';
import { DirectoryRepository } from '../directory/directory.repository.js';
import { checkLimit, jsonBytes } from '../shared/limits.js';
import { NotificationWriter } from './notification.writer.js';

type Create = typeof notificationRequests.create;

/**
 * Notifications other systems create (a learning platform's "assignment due"): for users of the
 * caller's tenant that this service knows, idempotent by the caller's key.
 */
@Injectable()
export class IntegrationsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly directory: DirectoryRepository,
    private readonly writer: NotificationWriter,
  ) {}

  async create(actor: Principal, request: ParsedRequestOf<Create>): Promise<ResponseOf<Create>> {
    checkLimit('recipients', request.recipientIds.length);
    checkLimit('data_bytes', jsonBytes(request.data));
    return this.dataSource.transaction(async (manager) => {
      const users = await this.directory.findUsers(manager, request.recipientIds);
      const unknown = request.recipientIds.filter((id) => users.get(id)?.tenant_id !== actor.tenantId);
      if (unknown.length > 0) {
        throw new ParleyError('not_found', 'Some recipients are not users of the tenant', {
          recipientIds: unknown,
        });
      }
      const active = request.recipientIds.filter((id) => users.get(id)?.status === 'active');
      const outcomes = await this.writer.create(
        manager,
        {
          tenantId: actor.tenantId,
          type: request.type,
          title: request.title,
          body: request.body,
          data: request.data,
          priority: request.priority,
          actorId: actor.userId,
          // Keys are the caller's: two integrations may both use "due-42".
          sourceId: `request:${actor.userId}:${request.idempotencyKey}`,
          origin: 'request',
        },
        active,
      );
      const byRecipient = new Map(outcomes.map((outcome) => [outcome.recipientId, outcome]));
      return {
        items: request.recipientIds.map(
          (recipientId) =>
            byRecipient.get(recipientId) ?? { recipientId, notificationId: null, isNew: false },
        ),
      };
    });
  }
}
