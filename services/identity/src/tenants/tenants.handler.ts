import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { identityRequests as api, type ParsedRequestOf, type Principal } from '@parley/contracts';
import { Actor } from '@parley/auth';
import { RequestHandler } from '@parley/nats';
import { AuthenticatedOnly, RequirePermissions } from '@parley/permissions';
import { TenantsService } from './tenants.service.js';

@Controller()
export class TenantsHandler {
  constructor(private readonly tenants: TenantsService) {}

  @RequestHandler(api.createTenant)
  @RequirePermissions('identity:tenant:create')
  create(@Payload() request: ParsedRequestOf<typeof api.createTenant>) {
    return this.tenants.create(request);
  }

  /** One's own tenant; another tenant only for a platform operator (decided by the service). */
  @RequestHandler(api.getTenant)
  @AuthenticatedOnly()
  get(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.getTenant>) {
    return this.tenants.get(actor, request.tenantId);
  }
}
