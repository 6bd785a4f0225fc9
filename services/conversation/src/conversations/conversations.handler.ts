import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Actor } from '@parley/auth';
import { conversationRequests as api, type ParsedRequestOf, type Principal } from '@parley/contracts';
import { RequestHandler } from '@parley/nats';
import { AuthenticatedOnly, RequirePermissions, resourceField } from '@parley/permissions';
import { AccessToken } from '../access/access-token.decorator.js';
import { ConversationsService } from './conversations.service.js';

const onConversation = { resource: resourceField('conversation', 'conversationId') };

@Controller()
export class ConversationsHandler {
  constructor(private readonly conversations: ConversationsService) {}

  @RequestHandler(api.getOrCreateDirect)
  @RequirePermissions('conversation:conversation:create')
  getOrCreateDirect(
    @Actor() actor: Principal,
    @AccessToken() token: string,
    @Payload() request: ParsedRequestOf<typeof api.getOrCreateDirect>,
  ) {
    return this.conversations.getOrCreateDirect(actor, token, request.userId);
  }

  @RequestHandler(api.createGroup)
  @RequirePermissions('conversation:conversation:create')
  createGroup(
    @Actor() actor: Principal,
    @AccessToken() token: string,
    @Payload() request: ParsedRequestOf<typeof api.createGroup>,
  ) {
    return this.conversations.createGroup(actor, token, request);
  }

  @RequestHandler(api.get)
  @RequirePermissions('conversation:message:read', onConversation)
  get(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.get>) {
    return this.conversations.get(actor, request.conversationId);
  }

  @RequestHandler(api.update)
  @RequirePermissions('conversation:conversation:update', onConversation)
  update(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.update>) {
    return this.conversations.update(actor, request);
  }

  @RequestHandler(api.delete)
  @RequirePermissions('conversation:conversation:update', onConversation)
  delete(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.delete>) {
    return this.conversations.delete(actor, request.conversationId);
  }

  @RequestHandler(api.listMine)
  @AuthenticatedOnly()
  listMine(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.listMine>) {
    return this.conversations.listMine(actor, request);
  }

  /** Listed groups are visible to everyone of the tenant by definition. */
  @RequestHandler(api.discover)
  @AuthenticatedOnly()
  discover(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.discover>) {
    return this.conversations.discover(actor, request);
  }
}
