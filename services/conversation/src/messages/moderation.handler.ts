import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Actor } from '@parley/auth';
import { conversationRequests as api, type ParsedRequestOf, type Principal } from '@parley/contracts';
import { RequestHandler } from '@parley/nats';
import { RequirePermissions, resourceField } from '@parley/permissions';
import { ModerationService } from './moderation.service.js';

const onConversation = { resource: resourceField('conversation', 'conversationId') };

@Controller()
export class ModerationHandler {
  constructor(private readonly moderation: ModerationService) {}

  @RequestHandler(api.listPending)
  @RequirePermissions('conversation:message:moderate', onConversation)
  list(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.listPending>) {
    return this.moderation.list(actor, request.conversationId, request);
  }

  @RequestHandler(api.approve)
  @RequirePermissions('conversation:message:moderate', onConversation)
  approve(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.approve>) {
    return this.moderation.approve(actor, request.conversationId, request.messageId);
  }

  @RequestHandler(api.reject)
  @RequirePermissions('conversation:message:moderate', onConversation)
  reject(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.reject>) {
    return this.moderation.reject(actor, request.conversationId, request.messageId, request.reason ?? null);
  }
}
