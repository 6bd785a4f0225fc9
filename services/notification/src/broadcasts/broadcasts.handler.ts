import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Actor } from '@parley/auth';
import { notificationRequests as api, type ParsedRequestOf, type Principal } from '@parley/contracts';
import { RequestHandler } from '@parley/nats';
import { RequirePermissions } from '@parley/permissions';
import { BroadcastsService } from './broadcasts.service.js';

@Controller()
export class BroadcastsHandler {
  constructor(private readonly broadcasts: BroadcastsService) {}

  @RequestHandler(api.sendBroadcast)
  @RequirePermissions('notification:broadcast:send')
  send(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.sendBroadcast>) {
    return this.broadcasts.send(actor, request);
  }

  @RequestHandler(api.sendAlert)
  @RequirePermissions('notification:alert:send')
  sendAlert(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.sendAlert>) {
    return this.broadcasts.sendAlert(actor, request);
  }

  /** Whoever may send one of the two may follow the jobs their tenant sent. */
  @RequestHandler(api.getBroadcast)
  @RequirePermissions({ anyOf: ['notification:broadcast:send', 'notification:alert:send'] })
  get(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.getBroadcast>) {
    return this.broadcasts.get(actor, request.broadcastId);
  }
}
