import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Actor } from '@parley/auth';
import { conversationRequests as api, type ParsedRequestOf, type Principal } from '@parley/contracts';
import { RequestHandler } from '@parley/nats';
import { AuthenticatedOnly, RequirePermissions, resourceField } from '@parley/permissions';
import { AccessToken } from '../access/access-token.decorator.js';
import { ParticipantsService } from './participants.service.js';

const onConversation = { resource: resourceField('conversation', 'conversationId') };

@Controller()
export class ParticipantsHandler {
  constructor(private readonly participants: ParticipantsService) {}

  @RequestHandler(api.join)
  @RequirePermissions('conversation:conversation:join', onConversation)
  join(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.join>) {
    return this.participants.join(actor, request.conversationId);
  }

  @RequestHandler(api.addParticipants)
  @RequirePermissions('conversation:participant:add', onConversation)
  add(
    @Actor() actor: Principal,
    @AccessToken() token: string,
    @Payload() request: ParsedRequestOf<typeof api.addParticipants>,
  ) {
    return this.participants.add(actor, token, request);
  }

  @RequestHandler(api.removeParticipant)
  @RequirePermissions('conversation:participant:remove', onConversation)
  remove(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.removeParticipant>) {
    return this.participants.remove(actor, request.conversationId, request.userId);
  }

  /** Any participant may leave; the service checks that the actor takes part. */
  @RequestHandler(api.leave)
  @AuthenticatedOnly()
  leave(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.leave>) {
    return this.participants.leave(actor, request.conversationId);
  }

  @RequestHandler(api.setStanding)
  @RequirePermissions('conversation:conversation:update', onConversation)
  setStanding(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.setStanding>) {
    return this.participants.setStanding(actor, request);
  }

  /** Muting concerns only the actor's own participation, which the service checks. */
  @RequestHandler(api.mute)
  @AuthenticatedOnly()
  mute(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.mute>) {
    return this.participants.mute(actor, request.conversationId, request.mutedUntil);
  }

  @RequestHandler(api.listParticipants)
  @RequirePermissions('conversation:message:read', onConversation)
  list(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.listParticipants>) {
    return this.participants.list(actor, request);
  }
}
