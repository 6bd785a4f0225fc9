import { Body, Controller, Get, Header, HttpCode, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { identityRequests as api, type ParsedRequestOf, type Principal } from '@parley/contracts';
import { Actor } from '@parley/auth';
import { ContractPipe } from '@parley/http';
import { AuthenticatedOnly, Public } from '@parley/permissions';
import { SigningKeysService } from '../keys/signing-keys.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { UsersService } from '../users/users.service.js';

/**
 * Identity over HTTP, for browsers and anything that does not speak NATS: the same operations and
 * the same schemas as the NATS API. PermissionGuard verifies the access token of the
 * authenticated-only routes.
 */
@Controller()
export class IdentityController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly users: UsersService,
    private readonly keys: SigningKeysService,
  ) {}

  @Get('.well-known/jwks.json')
  @Public()
  @Header('Cache-Control', 'public, max-age=60')
  jwks() {
    return this.keys.jwks();
  }

  @Post('v1/sessions')
  @Public()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  login(
    @Body(new ContractPipe(api.login.request)) body: ParsedRequestOf<typeof api.login>,
    @Req() request: Request,
  ) {
    return this.sessions.login({ ...body, userAgent: body.userAgent ?? userAgentOf(request) });
  }

  @Post('v1/sessions/refresh')
  @Public()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  refresh(@Body(new ContractPipe(api.refresh.request)) body: ParsedRequestOf<typeof api.refresh>) {
    return this.sessions.refresh(body);
  }

  @Post('v1/sessions/logout')
  @HttpCode(200)
  @AuthenticatedOnly()
  logout(@Actor() actor: Principal) {
    return this.sessions.logout(actor);
  }

  @Get('v1/sessions')
  @AuthenticatedOnly()
  async listSessions(@Actor() actor: Principal) {
    return { items: await this.sessions.list(actor, false) };
  }

  @Post('v1/users')
  @Public()
  @HttpCode(201)
  register(@Body(new ContractPipe(api.registerUser.request)) body: ParsedRequestOf<typeof api.registerUser>) {
    return this.users.register(body);
  }

  @Get('v1/users/me')
  @AuthenticatedOnly()
  me(@Actor() actor: Principal) {
    return this.users.get(actor, actor.userId);
  }
}

function userAgentOf(request: Request): string | undefined {
  return request.headers['user-agent']?.slice(0, 512);
}
