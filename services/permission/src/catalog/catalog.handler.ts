import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Actor } from '@parley/auth';
import { permissionRequests as api, type ParsedRequestOf, type Principal } from '@parley/contracts';
import { RequestHandler } from '@parley/nats';
import { CatalogService } from './catalog.service.js';

@Controller()
export class CatalogHandler {
  constructor(private readonly catalog: CatalogService) {}

  @RequestHandler(api.registerCatalog)
  register(@Payload() request: ParsedRequestOf<typeof api.registerCatalog>) {
    return this.catalog.register(request);
  }

  @RequestHandler(api.listCatalog)
  list(@Actor() actor: Principal) {
    return this.catalog.list(actor);
  }
}
