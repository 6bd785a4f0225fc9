import {
  BadRequestException,
  HttpException,
  NotFoundException,
  PayloadTooLargeException,
} from '@nestjs/common';
import { z } from 'zod';
import { ParleyError } from '@parley/contracts';
import { ContractPipe } from './contract-body.pipe.js';
import { HttpErrorFilter, toHttpError } from './http-error.filter.js';

describe('toHttpError', () => {
  it('keeps a ParleyError code and maps it to its status', () => {
    expect(toHttpError(new ParleyError('forbidden', 'No'))).toEqual({
      status: 403,
      envelope: { code: 'forbidden', message: 'No' },
    });
  });

  it("maps Nest's own HTTP errors to the matching code", () => {
    expect(toHttpError(new NotFoundException('Cannot GET /x')).envelope.code).toBe('not_found');
    expect(toHttpError(new PayloadTooLargeException()).envelope.code).toBe('limit_exceeded');
    expect(toHttpError(new BadRequestException('Unexpected end of JSON')).envelope).toEqual({
      code: 'validation_failed',
      message: 'Unexpected end of JSON',
    });
    expect(toHttpError(new HttpException('boom', 502))).toEqual({
      status: 502,
      envelope: { code: 'internal', message: 'Internal error' },
    });
  });

  it('hides anything else behind internal', () => {
    expect(toHttpError(new Error('database password is hunter2'))).toEqual({
      status: 500,
      envelope: { code: 'internal', message: 'Internal error' },
    });
  });
});

describe('HttpErrorFilter', () => {
  class RecordingResponse {
    statusCode = 0;
    body: unknown;
    headers: Record<string, string> = {};
    status(code: number): this {
      this.statusCode = code;
      return this;
    }
    json(body: unknown): void {
      this.body = body;
    }
    setHeader(name: string, value: string): void {
      this.headers[name] = value;
    }
  }
  const hostWith = (response: RecordingResponse) =>
    ({ switchToHttp: () => ({ getResponse: () => response }) }) as never;

  it('writes the envelope, and Retry-After for rate limits', () => {
    const response = new RecordingResponse();
    new HttpErrorFilter().catch(
      new ParleyError('rate_limited', 'Slow down', { retryAfterSeconds: 7 }),
      hostWith(response),
    );
    expect(response).toMatchObject({
      statusCode: 429,
      headers: { 'Retry-After': '7' },
      body: { error: { code: 'rate_limited', message: 'Slow down', details: { retryAfterSeconds: 7 } } },
    });
  });

  it('answers 500 for unexpected errors without leaking them', () => {
    const response = new RecordingResponse();
    new HttpErrorFilter().catch(new Error('secret detail'), hostWith(response));
    expect(response).toMatchObject({
      statusCode: 500,
      headers: {},
      body: { error: { code: 'internal', message: 'Internal error' } },
    });
  });
});

describe('ContractPipe', () => {
  const pipe = new ContractPipe(z.object({ name: z.string().min(1), size: z.number().default(1) }), 'upload');

  it('returns the parsed value with defaults', () => {
    expect(pipe.transform({ name: 'a' })).toEqual({ name: 'a', size: 1 });
  });

  it('refuses invalid or missing bodies with a validation error naming the fields', () => {
    expect(() => pipe.transform(undefined)).toThrow(ParleyError);
    try {
      pipe.transform({ name: '' });
    } catch (error) {
      expect(error).toMatchObject({ code: 'validation_failed', message: 'Invalid upload' });
      expect((error as ParleyError).details?.['issues']).toEqual([
        { path: 'name', message: expect.any(String) },
      ]);
    }
    expect.assertions(3);
  });
});
