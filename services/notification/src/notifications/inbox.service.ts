import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  notificationEvents,
  ParleyError,
  type notificationRequests,
  type ParsedRequestOf,
  type Principal,
  type ResponseOf,
} from '@parley/contracts';
import { OutboxWriter } from '@parley/db';
import { CLOCK, type Clock } from '../notification.options.js';
import { decodeCursor, encodeCursor } from '../shared/cursor.js';
import { BulkOutbox } from './bulk-outbox.js';
import { InboxRepository } from './inbox.repository.js';
import { toNotification, type NotificationRow } from './notification.row.js';

type Requests = typeof notificationRequests;
type Changed = ResponseOf<Requests['markRead']>;

/**
 * A user's own inbox: list, count, read, dismiss, read all. Each change locks the user's counter
 * first and moves it in the same transaction, and announces the new count through the outbox.
 * Someone else's notification, or one not in the inbox, does not exist for the caller.
 */
@Injectable()
export class InboxService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly inbox: InboxRepository,
    private readonly outbox: OutboxWriter,
    private readonly bulk: BulkOutbox,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async list(
    actor: Principal,
    request: ParsedRequestOf<Requests['list']>,
  ): Promise<ResponseOf<Requests['list']>> {
    const rows = await this.inbox.list(this.dataSource.manager, actor.tenantId, actor.userId, {
      unreadOnly: request.unreadOnly,
      includeDismissed: request.includeDismissed,
      before: request.cursor === undefined ? undefined : decodeCursor(request.cursor),
      limit: request.limit + 1,
    });
    const items = rows.slice(0, request.limit);
    const last = items.at(-1);
    return {
      items: items.map(toNotification),
      nextCursor: rows.length > request.limit && last !== undefined ? encodeCursor(last.id) : null,
    };
  }

  async count(actor: Principal): Promise<ResponseOf<Requests['count']>> {
    return { unreadCount: await this.inbox.unreadCount(this.dataSource.manager, actor.userId) };
  }

  markRead(actor: Principal, notificationId: string): Promise<Changed> {
    return this.change(actor, notificationId, async (manager, row, count) => {
      if (row.status !== 'new') {
        return { notification: toNotification(row), unreadCount: count };
      }
      const at = this.clock();
      const read = await this.inbox.markRead(manager, row.id, at);
      const unreadCount = await this.inbox.setUnreadCount(manager, actor.userId, { by: -1 });
      await this.outbox.append(manager, notificationEvents.read, actor.tenantId, {
        recipientId: actor.userId,
        notificationId: row.id,
        readAt: at.toISOString(),
        unreadCount,
      });
      return { notification: toNotification(read), unreadCount };
    });
  }

  dismiss(actor: Principal, notificationId: string): Promise<Changed> {
    return this.change(actor, notificationId, async (manager, row, count) => {
      if (row.status === 'dismissed') {
        return { notification: toNotification(row), unreadCount: count };
      }
      const at = this.clock();
      const dismissed = await this.inbox.dismiss(manager, row.id, at);
      const unreadCount =
        row.status === 'new' ? await this.inbox.setUnreadCount(manager, actor.userId, { by: -1 }) : count;
      await this.outbox.append(manager, notificationEvents.dismissed, actor.tenantId, {
        recipientId: actor.userId,
        notificationId: row.id,
        dismissedAt: at.toISOString(),
        unreadCount,
      });
      return { notification: toNotification(dismissed), unreadCount };
    });
  }

  markAllRead(actor: Principal): Promise<ResponseOf<Requests['markAllRead']>> {
    return this.dataSource.transaction(async (manager) => {
      await this.inbox.lock(manager, actor.tenantId, actor.userId);
      const at = this.clock();
      const markedCount = await this.inbox.markAllRead(manager, actor.userId, at);
      const unreadCount = await this.inbox.setUnreadCount(manager, actor.userId, { to: 0 });
      if (markedCount > 0) {
        await this.outbox.append(manager, notificationEvents.read, actor.tenantId, {
          recipientId: actor.userId,
          notificationId: null,
          readAt: at.toISOString(),
          unreadCount,
        });
      }
      return { markedCount, unreadCount };
    });
  }

  /**
   * What a user has read in the conversation itself no longer waits in the inbox: their message,
   * mention and reply notifications up to the sequence number they read are marked read, in the
   * transaction of the receipt event, and each is announced with the new count.
   */
  async conversationRead(
    manager: EntityManager,
    tenantId: string,
    receipt: { userId: string; conversationId: string; lastReadSequence: number },
  ): Promise<number> {
    if (!(await this.inbox.lockExisting(manager, receipt.userId))) {
      return 0;
    }
    const at = this.clock();
    const ids = await this.inbox.markConversationRead(
      manager,
      receipt.userId,
      receipt.conversationId,
      receipt.lastReadSequence,
      at,
    );
    if (ids.length > 0) {
      const unreadCount = await this.inbox.setUnreadCount(manager, receipt.userId, { by: -ids.length });
      await this.bulk.appendMany(
        manager,
        notificationEvents.read,
        tenantId,
        ids.map((notificationId) => ({
          recipientId: receipt.userId,
          notificationId,
          readAt: at.toISOString(),
          unreadCount,
        })),
      );
    }
    return ids.length;
  }

  /** Locks the caller's counter, finds the notification in the caller's inbox, and runs `work`. */
  private change(
    actor: Principal,
    notificationId: string,
    work: (manager: EntityManager, row: NotificationRow, unreadCount: number) => Promise<Changed>,
  ): Promise<Changed> {
    return this.dataSource.transaction(async (manager) => {
      const count = await this.inbox.lock(manager, actor.tenantId, actor.userId);
      const row = await this.inbox.find(manager, actor.tenantId, actor.userId, notificationId);
      if (row === undefined) {
        throw new ParleyError('not_found', 'No such notification', { notificationId });
      }
      return work(manager, row, count);
    });
  }
}
