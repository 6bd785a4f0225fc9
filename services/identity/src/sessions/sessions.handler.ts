import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { identityRequests as api, type ParsedRequestOf, type Principal } from '@parley/contracts';
import { Actor } from '@parley/auth';
import { RequestHandler } from '@parley/nats';
import { AuthenticatedOnly, Public } from '@parley/permissions';
import { SessionsService } from './sessions.service.js';

@Controller()
export class SessionsHandler {
  constructor(private readonly sessions: SessionsService) {}

  @RequestHandler(api.login)
  @Public()
  login(@Payload() request: ParsedRequestOf<typeof api.login>) {
    return this.sessions.login(request);
  }

  @RequestHandler(api.refresh)
  @Public()
  refresh(@Payload() request: ParsedRequestOf<typeof api.refresh>) {
    return this.sessions.refresh(request);
  }

  @RequestHandler(api.logout)
  @AuthenticatedOnly()
  logout(@Actor() actor: Principal) {
    return this.sessions.logout(actor);
  }

  @RequestHandler(api.listSessions)
  @AuthenticatedOnly()
  async list(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.listSessions>) {
    return { items: await this.sessions.list(actor, request.includeRevoked) };
  }

  /** One's own session; another user's needs identity:session:revoke on that user (checked by the service). */
  @RequestHandler(api.revokeSession)
  @AuthenticatedOnly()
  revoke(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.revokeSession>) {
    return this.sessions.revoke(actor, request.sessionId);
  }
}
