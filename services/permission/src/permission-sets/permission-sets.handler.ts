import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Actor } from '@parley/auth';
import { permissionRequests as api, type ParsedRequestOf, type Principal } from '@parley/contracts';
import { RequestHandler } from '@parley/nats';
import { PermissionSetsService } from './permission-sets.service.js';

@Controller()
export class PermissionSetsHandler {
  constructor(private readonly sets: PermissionSetsService) {}

  @RequestHandler(api.createPermissionSet)
  create(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.createPermissionSet>) {
    return this.sets.create(actor, request);
  }

  @RequestHandler(api.updatePermissionSet)
  update(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.updatePermissionSet>) {
    return this.sets.update(actor, request);
  }

  @RequestHandler(api.deletePermissionSet)
  delete(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.deletePermissionSet>) {
    return this.sets.delete(actor, request.permissionSetId);
  }

  @RequestHandler(api.listPermissionSets)
  list(@Actor() actor: Principal) {
    return this.sets.list(actor);
  }
}
