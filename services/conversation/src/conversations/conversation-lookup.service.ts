import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ParleyError, type ConversationPermission, type Principal } from '@parley/contracts';
import { PermissionChecker, type CheckedResource } from '@parley/permissions';
import type { ConversationRow } from './conversation.row.js';
import { ConversationsRepository } from './conversations.repository.js';

/**
 * Finds a conversation in the actor's own tenant (a conversation of another tenant does not exist
 * for the actor) and checks permissions on it once it is loaded.
 */
@Injectable()
export class ConversationLookup {
  constructor(
    private readonly dataSource: DataSource,
    private readonly conversations: ConversationsRepository,
    private readonly checker: PermissionChecker,
  ) {}

  /** The live conversation of the actor's tenant; `not_found` otherwise. */
  async get(
    actor: Principal,
    conversationId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<ConversationRow> {
    return found(await this.conversations.find(manager, actor.tenantId, conversationId), conversationId);
  }

  /** Like `get`, locked until the transaction of `manager` ends. */
  async lock(actor: Principal, conversationId: string, manager: EntityManager): Promise<ConversationRow> {
    return found(await this.conversations.lock(manager, actor.tenantId, conversationId), conversationId);
  }

  /** Throws `forbidden` naming the permission unless the actor holds it on the conversation. */
  require(
    actor: Principal,
    permission: ConversationPermission,
    conversation: ConversationRow,
  ): Promise<void> {
    return this.checker.require(actor, permission, resourceOf(conversation));
  }

  can(actor: Principal, permission: ConversationPermission, conversation: ConversationRow): Promise<boolean> {
    return this.checker.can(actor, permission, resourceOf(conversation));
  }
}

/** Operations on participants and settings exist for groups only. */
export function requireGroup(conversation: ConversationRow, what: string): void {
  if (conversation.kind !== 'group') {
    throw new ParleyError('conflict', `A direct conversation has no ${what}`, {
      reason: 'direct_conversation',
      conversationId: conversation.id,
    });
  }
}

export function resourceOf(conversation: ConversationRow): CheckedResource {
  return { type: 'conversation', id: conversation.id, tenantId: conversation.tenant_id };
}

function found(row: ConversationRow | undefined, conversationId: string): ConversationRow {
  if (row === undefined) {
    throw new ParleyError('not_found', 'No such conversation', { conversationId });
  }
  return row;
}
