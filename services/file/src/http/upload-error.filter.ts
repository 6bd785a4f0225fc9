import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { HttpErrorFilter } from '@parley/http';

/**
 * Errors of an upload, refused by the guard or by the handler: the usual error response, and when
 * the body was not read to its end, `Connection: close`, so that the server closes the connection
 * after answering instead of reading (and throwing away) the rest of a large body.
 */
@Catch()
export class UploadErrorFilter implements ExceptionFilter {
  private readonly errors = new HttpErrorFilter();

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    if (!http.getRequest<Request>().complete) {
      http.getResponse<Response>().setHeader('Connection', 'close');
    }
    this.errors.catch(error, host);
  }
}
