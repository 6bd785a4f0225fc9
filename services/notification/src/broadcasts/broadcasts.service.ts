import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  ParleyError,
  type Broadcast,
  type notificationRequests,
  type ParsedRequestOf,
  type Principal,
  type ResponseOf,
} from '@parley/contracts';
import { DirectoryRepository } from '../directory/directory.repository.js';
import { NOTIFICATION_OPTIONS, type NotificationOptions } from '../notification.options.js';
import { checkLimit, jsonBytes } from '../shared/limits.js';
import { BroadcastsRepository, toBroadcast, type BroadcastRow } from './broadcasts.repository.js';
import { FanOutWorker } from './fan-out.worker.js';

type Requests = typeof notificationRequests;

/**
 * Tenant broadcasts and system alerts: a send records one job per tenant and returns at once;
 * the fan-out worker does the rest. Sending again with the same key returns the first jobs.
 */
@Injectable()
export class BroadcastsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly broadcasts: BroadcastsRepository,
    private readonly directory: DirectoryRepository,
    private readonly worker: FanOutWorker,
    @Inject(NOTIFICATION_OPTIONS) private readonly options: NotificationOptions,
  ) {}

  async send(actor: Principal, request: ParsedRequestOf<Requests['sendBroadcast']>): Promise<Broadcast> {
    checkLimit('data_bytes', jsonBytes(request.data));
    const jobs = await this.dataSource.transaction((manager) =>
      this.broadcasts.create(
        manager,
        {
          kind: 'broadcast',
          alertId: null,
          senderId: actor.userId,
          senderTenantId: actor.tenantId,
          idempotencyKey: request.idempotencyKey,
          title: request.title,
          body: request.body,
          data: request.data,
          priority: request.priority,
        },
        [actor.tenantId],
      ),
    );
    this.worker.kick();
    return toBroadcast(first(jobs));
  }

  /**
   * A system alert goes out from the platform tenant only: the permission is held by platform
   * operators, and this check keeps it so even if a tenant were given it by mistake.
   */
  async sendAlert(
    actor: Principal,
    request: ParsedRequestOf<Requests['sendAlert']>,
  ): Promise<ResponseOf<Requests['sendAlert']>> {
    checkLimit('data_bytes', jsonBytes(request.data));
    if (request.tenantIds !== undefined) {
      checkLimit('alert_tenants', request.tenantIds.length);
    }
    const jobs = await this.dataSource.transaction(async (manager) => {
      const platform = await this.directory.findTenantBySlug(manager, this.options.platformTenantSlug);
      if (platform !== actor.tenantId) {
        throw new ParleyError('forbidden', 'System alerts are sent from the platform tenant only', {
          reason: 'not_platform_tenant',
        });
      }
      const earlier = await this.broadcasts.findSent(manager, actor.userId, 'alert', request.idempotencyKey);
      if (earlier.length > 0) {
        return earlier;
      }
      const tenantIds = request.tenantIds ?? (await this.directory.allTenants(manager));
      const known = await this.directory.knownTenants(manager, tenantIds);
      const unknown = tenantIds.filter((id) => !known.has(id));
      if (unknown.length > 0) {
        throw new ParleyError('not_found', 'Some tenants are not known', { tenantIds: unknown });
      }
      return this.broadcasts.create(
        manager,
        {
          kind: 'alert',
          alertId: randomUUID(),
          senderId: actor.userId,
          senderTenantId: actor.tenantId,
          idempotencyKey: request.idempotencyKey,
          title: request.title,
          body: request.body,
          data: request.data,
          priority: request.priority,
        },
        tenantIds,
      );
    });
    this.worker.kick();
    return { alertId: first(jobs).alert_id as string, broadcasts: jobs.map(toBroadcast) };
  }

  async get(actor: Principal, broadcastId: string): Promise<Broadcast> {
    const job = await this.broadcasts.find(this.dataSource.manager, broadcastId, actor.tenantId);
    if (job === undefined) {
      throw new ParleyError('not_found', 'No such broadcast', { broadcastId });
    }
    return toBroadcast(job);
  }
}

/** The first job of a send: a tenant broadcast has exactly one, an alert one per tenant. */
function first(jobs: readonly BroadcastRow[]): BroadcastRow {
  return jobs[0] as BroadcastRow;
}
