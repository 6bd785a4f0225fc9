import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { createLogger } from '@parley/logging';
import { Public } from '@parley/permissions';
import { DownloadsService } from '../downloads/downloads.service.js';

/**
 * Signed download URLs. The token in the path is the whole authorisation (no access token: a
 * browser follows the URL as a link or an `<img>`), so the route is public. GET and HEAD.
 */
@Controller('v1/downloads')
export class DownloadsController {
  private readonly logger = createLogger(DownloadsController.name);

  constructor(private readonly downloads: DownloadsService) {}

  @Get(':token')
  @Public()
  async download(@Param('token') token: string, @Req() request: Request, @Res() response: Response) {
    const answer = await this.downloads.download(token, {
      method: request.method === 'HEAD' ? 'HEAD' : 'GET',
      range: request.get('range'),
      ifRange: request.get('if-range'),
      ifNoneMatch: request.get('if-none-match'),
    });
    response.status(answer.status).set(answer.headers);
    if (answer.body === undefined) {
      response.end();
      return;
    }
    try {
      await pipeline(answer.body, response);
    } catch (error) {
      // The status line is gone; all that is left is to cut the response short.
      this.logger.warn({ err: error }, 'Download ended early');
    }
  }
}
