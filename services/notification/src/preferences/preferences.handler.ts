import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Actor } from '@parley/auth';
import { notificationRequests as api, type ParsedRequestOf, type Principal } from '@parley/contracts';
import { RequestHandler } from '@parley/nats';
import { AuthenticatedOnly, RequirePermissions } from '@parley/permissions';
import { PreferencesService } from './preferences.service.js';

/** The caller's own preferences (any verified actor), and the tenant's defaults. */
@Controller()
export class PreferencesHandler {
  constructor(private readonly preferences: PreferencesService) {}

  @RequestHandler(api.getPreferences)
  @AuthenticatedOnly()
  get(@Actor() actor: Principal) {
    return this.preferences.get(actor);
  }

  @RequestHandler(api.setPreferences)
  @AuthenticatedOnly()
  set(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.setPreferences>) {
    return this.preferences.set(actor, request);
  }

  /** The defaults are no secret, but only those who may change them need to read them whole. */
  @RequestHandler(api.getTenantPreferences)
  @RequirePermissions('notification:tenant-preference:update')
  getTenant(@Actor() actor: Principal) {
    return this.preferences.getTenant(actor);
  }

  @RequestHandler(api.setTenantPreferences)
  @RequirePermissions('notification:tenant-preference:update')
  setTenant(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.setTenantPreferences>) {
    return this.preferences.setTenant(actor, request);
  }
}
