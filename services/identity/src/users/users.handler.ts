import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { identityRequests as api, type ParsedRequestOf, type Principal } from '@parley/contracts';
import { Actor } from '@parley/auth';
import { RequestHandler } from '@parley/nats';
import { UsersService } from './users.service.js';

@Controller()
export class UsersHandler {
  constructor(private readonly users: UsersService) {}

  @RequestHandler(api.registerUser)
  register(@Payload() request: ParsedRequestOf<typeof api.registerUser>) {
    return this.users.register(request);
  }

  @RequestHandler(api.createUser)
  create(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.createUser>) {
    return this.users.create(actor, request);
  }

  @RequestHandler(api.getUser)
  get(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.getUser>) {
    return this.users.get(actor, request.userId);
  }

  @RequestHandler(api.getUsers)
  async getMany(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.getUsers>) {
    return { items: await this.users.getMany(actor, request.userIds) };
  }

  @RequestHandler(api.searchUsers)
  search(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.searchUsers>) {
    return this.users.search(actor, request);
  }

  @RequestHandler(api.updateUser)
  update(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.updateUser>) {
    return this.users.update(actor, request);
  }

  @RequestHandler(api.suspendUser)
  suspend(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.suspendUser>) {
    return this.users.suspend(actor, request.userId, request.reason);
  }

  @RequestHandler(api.deleteUser)
  delete(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.deleteUser>) {
    return this.users.delete(actor, request.userId);
  }

  @RequestHandler(api.reactivateUser)
  reactivate(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.reactivateUser>) {
    return this.users.reactivate(actor, request.userId);
  }
}
