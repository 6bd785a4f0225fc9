import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Actor } from '@parley/auth';
import { fileRequests as api, type ParsedRequestOf, type Principal } from '@parley/contracts';
import { RequestHandler } from '@parley/nats';
import { AuthenticatedOnly, RequirePermissions, resourceFrom } from '@parley/permissions';
import { DownloadsService } from '../downloads/downloads.service.js';
import { FilesService } from '../files/files.service.js';

/**
 * The file service over NATS. Who may read, delete or attach a file depends on the file (its owner,
 * the conversations it is attached to), so those checks run once it is loaded; attaching also
 * needs the right to send to the conversation, checked by the guard.
 */
@Controller()
export class FilesHandler {
  constructor(
    private readonly files: FilesService,
    private readonly downloads: DownloadsService,
  ) {}

  @RequestHandler(api.get)
  @AuthenticatedOnly()
  get(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.get>) {
    return this.files.get(actor, request.fileId);
  }

  @RequestHandler(api.delete)
  @AuthenticatedOnly()
  delete(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.delete>) {
    return this.files.delete(actor, request.fileId);
  }

  @RequestHandler(api.attach)
  @RequirePermissions('conversation:message:send', {
    resource: resourceFrom(api.attach, (request) => ({ type: 'conversation', id: request.conversationId })),
  })
  attach(@Actor() actor: Principal, @Payload() request: ParsedRequestOf<typeof api.attach>) {
    return this.files.attach(actor, request);
  }

  @RequestHandler(api.createDownloadUrl)
  @AuthenticatedOnly()
  createDownloadUrl(
    @Actor() actor: Principal,
    @Payload() request: ParsedRequestOf<typeof api.createDownloadUrl>,
  ) {
    return this.downloads.createUrl(actor, request.fileId, request.disposition);
  }
}
