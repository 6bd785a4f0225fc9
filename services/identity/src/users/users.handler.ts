import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { identityRequests as api, type ParsedRequestOf, type Principal } from '@parley/contracts';
import { Actor } from '@parley/auth';
import { RequestHandler } from '@parley/nats';
import { AuthenticatedOnly, Public, RequirePermissions, resourceFrom } from '@parley/permissions';
import { UsersService } from './users.service.js';

// The user a request acts on, read with the request's own contract.
const suspended = resourceFrom(api.suspendUser, (request) => ({ type: 'user', id: request.userId }));
const deleted = resourceFrom(api.deleteUser, (request) => ({ type: 'user', id: request.userId }));
const reactivated = resourceFrom(api.reactivateUser, (request) => ({ type: 'user', id: request.userId }));

@Controller()
export class UsersHandler {
  constructor(private readonly users: UsersService) {}

  @RequestHandler(api.registerUser)
  @Public()
  register(@Payload() request: ParsedRequestOf<typeof api.registerUser>) {
    return this.users.register(request);
  }

  @RequestHandler(api.createUser)
  @RequirePermissions('identity:user:create')
  create(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.createUser>) {
    return this.users.create(actor, request);
  }

  @RequestHandler(api.getUser)
  @AuthenticatedOnly()
  get(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.getUser>) {
    return this.users.get(actor, request.userId);
  }

  @RequestHandler(api.getUsers)
  @AuthenticatedOnly()
  async getMany(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.getUsers>) {
    return { items: await this.users.getMany(actor, request.userIds) };
  }

  @RequestHandler(api.searchUsers)
  @AuthenticatedOnly()
  search(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.searchUsers>) {
    return this.users.search(actor, request);
  }

  /** One's own profile; another user's needs identity:user:update on that user (checked by the service). */
  @RequestHandler(api.updateUser)
  @AuthenticatedOnly()
  update(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.updateUser>) {
    return this.users.update(actor, request);
  }

  @RequestHandler(api.suspendUser)
  @RequirePermissions('identity:user:suspend', { resource: suspended })
  suspend(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.suspendUser>) {
    return this.users.suspend(actor, request.userId, request.reason);
  }

  /**
   * Deleting ends a user's access for good, as suspending ends it for a while: the same permission
   * covers both (the catalog declares no separate one).
   */
  @RequestHandler(api.deleteUser)
  @RequirePermissions('identity:user:delete', { resource: deleted })
  delete(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.deleteUser>) {
    return this.users.delete(actor, request.userId);
  }

  @RequestHandler(api.reactivateUser)
  @RequirePermissions('identity:user:suspend', { resource: reactivated })
  reactivate(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.reactivateUser>) {
    return this.users.reactivate(actor, request.userId);
  }
}
