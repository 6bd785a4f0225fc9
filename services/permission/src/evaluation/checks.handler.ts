import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Actor } from '@parley/auth';
import { permissionRequests as api, type ParsedRequestOf, type Principal } from '@parley/contracts';
import { RequestHandler } from '@parley/nats';
import { ChecksService } from './checks.service.js';

@Controller()
export class ChecksHandler {
  constructor(private readonly checks: ChecksService) {}

  @RequestHandler(api.check)
  check(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.check>) {
    return this.checks.check(actor, request);
  }

  @RequestHandler(api.effective)
  effective(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.effective>) {
    return this.checks.effective(actor, request.actorId);
  }
}
