import { Controller } from '@nestjs/common';
import { identityRequests as api } from '@parley/contracts';
import { RequestHandler } from '@parley/nats';
import { Public } from '@parley/permissions';
import { SigningKeysService } from './signing-keys.service.js';

@Controller()
export class JwksHandler {
  constructor(private readonly keys: SigningKeysService) {}

  @RequestHandler(api.getJwks)
  @Public()
  jwks() {
    return this.keys.jwks();
  }
}
