import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { identityRequests as api, type ParsedRequestOf, type Principal } from '@parley/contracts';
import { Actor } from '@parley/auth';
import { RequestHandler } from '@parley/nats';
import { TenantsService } from './tenants.service.js';

@Controller()
export class TenantsHandler {
  constructor(private readonly tenants: TenantsService) {}

  @RequestHandler(api.createTenant)
  create(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.createTenant>) {
    return this.tenants.create(actor, request);
  }

  @RequestHandler(api.getTenant)
  get(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.getTenant>) {
    return this.tenants.get(actor, request.tenantId);
  }
}
