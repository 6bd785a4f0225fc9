import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Actor } from '@parley/auth';
import { conversationRequests as api, type ParsedRequestOf, type Principal } from '@parley/contracts';
import { RequestHandler } from '@parley/nats';
import { AuthenticatedOnly, RequirePermissions, resourceField } from '@parley/permissions';
import { MessagesService } from './messages.service.js';

const onConversation = { resource: resourceField('conversation', 'conversationId') };

@Controller()
export class MessagesHandler {
  constructor(private readonly messages: MessagesService) {}

  @RequestHandler(api.send)
  @RequirePermissions('conversation:message:send', onConversation)
  send(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.send>) {
    return this.messages.send(actor, request);
  }

  /** The sender edits their own message: the service checks who sent it and that they may still send. */
  @RequestHandler(api.edit)
  @AuthenticatedOnly()
  edit(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.edit>) {
    return this.messages.edit(actor, request);
  }

  /** The sender deletes their own; anyone else needs conversation:message:delete-any (checked by the service). */
  @RequestHandler(api.deleteMessage)
  @AuthenticatedOnly()
  delete(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.deleteMessage>) {
    return this.messages.delete(actor, request.conversationId, request.messageId);
  }

  @RequestHandler(api.history)
  @RequirePermissions('conversation:message:read', onConversation)
  history(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.history>) {
    return this.messages.history(actor, request.conversationId, request);
  }

  @RequestHandler(api.catchUp)
  @RequirePermissions('conversation:message:read', onConversation)
  catchUp(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.catchUp>) {
    return this.messages.catchUp(actor, request);
  }

  @RequestHandler(api.changes)
  @RequirePermissions('conversation:message:read', onConversation)
  changes(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.changes>) {
    return this.messages.changes(actor, request);
  }

  @RequestHandler(api.listReplies)
  @RequirePermissions('conversation:message:read', onConversation)
  listReplies(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.listReplies>) {
    return this.messages.listReplies(actor, request);
  }

  @RequestHandler(api.markRead)
  @RequirePermissions('conversation:message:read', onConversation)
  markRead(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.markRead>) {
    return this.messages.markRead(actor, request.conversationId, request.sequence);
  }
}
