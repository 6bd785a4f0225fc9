import { Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  fileDownloadUrlQuerySchema,
  fileUploadQuerySchema,
  idSchema,
  type FileUploadQuery,
  type Principal,
} from '@parley/contracts';
import { Actor } from '@parley/auth';
import { ContractPipe } from '@parley/http';
import { AuthenticatedOnly, RequirePermissions } from '@parley/permissions';
import type { z } from 'zod';
import { DownloadsService } from '../downloads/downloads.service.js';
import { FilesService } from '../files/files.service.js';
import { UploadsService } from '../files/uploads.service.js';
import { UploadErrorFilter } from './upload-error.filter.js';

const fileIdPipe = new ContractPipe(idSchema, 'file id');

/**
 * Files over HTTP. An upload is the raw body of `POST /v1/files?name=…&storageClass=…` (no
 * multipart: the body is the file, streamed to storage), its Content-Type the uploader's claim.
 * The other operations are those of the NATS API.
 */
@Controller('v1/files')
export class FilesController {
  constructor(
    private readonly uploads: UploadsService,
    private readonly files: FilesService,
    private readonly downloads: DownloadsService,
  ) {}

  @Post()
  @HttpCode(201)
  @RequirePermissions('file:file:create')
  @UseFilters(UploadErrorFilter)
  async upload(
    @Actor() actor: Principal,
    @Query(new ContractPipe(fileUploadQuerySchema, 'query')) query: FileUploadQuery,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const file = await this.uploads.upload(actor, {
      query,
      contentType: request.headers['content-type'],
      // Node's parser has refused any Content-Length that is not a number of bytes.
      declaredBytes:
        request.headers['content-length'] === undefined
          ? undefined
          : Number(request.headers['content-length']),
      body: request,
    });
    response.setHeader('Location', `/v1/files/${file.id}`);
    return file;
  }

  @Get(':fileId')
  @AuthenticatedOnly()
  get(@Actor() actor: Principal, @Param('fileId', fileIdPipe) fileId: string) {
    return this.files.get(actor, fileId);
  }

  @Delete(':fileId')
  @AuthenticatedOnly()
  delete(@Actor() actor: Principal, @Param('fileId', fileIdPipe) fileId: string) {
    return this.files.delete(actor, fileId);
  }

  @Post(':fileId/download-url')
  @HttpCode(200)
  @AuthenticatedOnly()
  createDownloadUrl(
    @Actor() actor: Principal,
    @Param('fileId', fileIdPipe) fileId: string,
    @Query(new ContractPipe(fileDownloadUrlQuerySchema, 'query'))
    query: z.output<typeof fileDownloadUrlQuerySchema>,
  ) {
    return this.downloads.createUrl(actor, fileId, query.disposition);
  }
}
