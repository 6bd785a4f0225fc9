import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Actor } from '@parley/auth';
import { conversationRequests as api, type ParsedRequestOf, type Principal } from '@parley/contracts';
import { RequestHandler } from '@parley/nats';
import { RequirePermissions, resourceField } from '@parley/permissions';
import { ReactionsService } from './reactions.service.js';

const onConversation = { resource: resourceField('conversation', 'conversationId') };

@Controller()
export class ReactionsHandler {
  constructor(private readonly reactions: ReactionsService) {}

  @RequestHandler(api.addReaction)
  @RequirePermissions('conversation:message:react', onConversation)
  add(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.addReaction>) {
    return this.reactions.add(actor, request);
  }

  /** Taking one's own reaction back needs no more than reading the conversation. */
  @RequestHandler(api.removeReaction)
  @RequirePermissions('conversation:message:read', onConversation)
  remove(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.removeReaction>) {
    return this.reactions.remove(actor, request);
  }
}
