import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Actor } from '@parley/auth';
import { permissionRequests as api, type ParsedRequestOf, type Principal } from '@parley/contracts';
import { RequestHandler } from '@parley/nats';
import { AssignmentsService } from './assignments.service.js';
import { StandingsService } from './standings.service.js';

@Controller()
export class AssignmentsHandler {
  constructor(
    private readonly assignments: AssignmentsService,
    private readonly standings: StandingsService,
  ) {}

  @RequestHandler(api.createAssignment)
  create(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.createAssignment>) {
    return this.assignments.create(actor, request);
  }

  @RequestHandler(api.revokeAssignment)
  revoke(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.revokeAssignment>) {
    return this.assignments.revoke(actor, request.assignmentId);
  }

  @RequestHandler(api.listAssignments)
  list(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.listAssignments>) {
    return this.assignments.list(actor, request);
  }

  @RequestHandler(api.bootstrapTenantAdministrator)
  bootstrap(
    @Actor() actor: Principal,
    @Payload() request: ParsedRequestOf<typeof api.bootstrapTenantAdministrator>,
  ) {
    return this.assignments.bootstrapTenantAdministrator(actor, request);
  }

  @RequestHandler(api.setStandings)
  setStandings(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.setStandings>) {
    return this.standings.set(actor, request);
  }
}
