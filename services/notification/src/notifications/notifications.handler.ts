import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Actor } from '@parley/auth';
import { notificationRequests as api, type ParsedRequestOf, type Principal } from '@parley/contracts';
import { RequestHandler } from '@parley/nats';
import { AuthenticatedOnly, RequirePermissions } from '@parley/permissions';
import { InboxService } from './inbox.service.js';
import { IntegrationsService } from './integrations.service.js';

/** The caller's own inbox (any verified actor), and notifications created by integrations. */
@Controller()
export class NotificationsHandler {
  constructor(
    private readonly inbox: InboxService,
    private readonly integrations: IntegrationsService,
  ) {}

  @RequestHandler(api.list)
  @AuthenticatedOnly()
  list(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.list>) {
    return this.inbox.list(actor, request);
  }

  @RequestHandler(api.count)
  @AuthenticatedOnly()
  count(@Actor() actor: Principal) {
    return this.inbox.count(actor);
  }

  @RequestHandler(api.markRead)
  @AuthenticatedOnly()
  markRead(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.markRead>) {
    return this.inbox.markRead(actor, request.notificationId);
  }

  @RequestHandler(api.dismiss)
  @AuthenticatedOnly()
  dismiss(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.dismiss>) {
    return this.inbox.dismiss(actor, request.notificationId);
  }

  @RequestHandler(api.markAllRead)
  @AuthenticatedOnly()
  markAllRead(@Actor() actor: Principal) {
    return this.inbox.markAllRead(actor);
  }

  @RequestHandler(api.create)
  @RequirePermissions('notification:notification:create')
  create(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.create>) {
    return this.integrations.create(actor, request);
  }
}
