import { headers as natsHeaders } from '@nats-io/transport-node';
import { headerNames } from '@parley/contracts';
import { requestContext } from '@parley/logging';
import { contextFromHeaders, headersToRecord, headerValue, outgoingHeaders } from './message-headers.js';
import { thrownBy } from '@parley/testing';

describe('contextFromHeaders', () => {
  it('reads correlation, tenant and actor, whatever their casing', () => {
    const headers = natsHeaders();
    headers.set('parley-correlation-id', 'c-1');
    headers.set(headerNames.tenantId, 't-1');
    headers.set(headerNames.actorId, 'a-1');
    expect(contextFromHeaders(headers)).toEqual({ correlationId: 'c-1', tenantId: 't-1', actorId: 'a-1' });
  });

  it('makes up a correlation id and leaves out what is missing or empty', () => {
    const headers = natsHeaders();
    headers.set(headerNames.tenantId, '');
    const context = contextFromHeaders(headers);
    expect(context).toEqual({ correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(contextFromHeaders(undefined).correlationId).not.toBe(context.correlationId);
    headers.set(headerNames.correlationId, 'x'.repeat(129));
    expect(contextFromHeaders(headers).correlationId).toMatch(/^[0-9a-f-]{36}$/);
    headers.set(headerNames.correlationId, 'with space');
    expect(contextFromHeaders(headers).correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('outgoingHeaders', () => {
  it('carries the request context, with explicit headers winning whatever their casing', () => {
    const headers = requestContext.run({ correlationId: 'c-1', tenantId: 't-1', actorId: 'a-1' }, () =>
      outgoingHeaders({ 'parley-tenant-id': 't-2', [headerNames.actorId]: '', 'X-Other': 'o' }),
    );
    expect(headersToRecord(headers)).toEqual({
      [headerNames.correlationId]: 'c-1',
      'parley-tenant-id': 't-2',
      'X-Other': 'o',
    });
  });

  it('starts a correlation id outside any context', () => {
    expect(headerValue(outgoingHeaders(), headerNames.correlationId)).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses a header NATS cannot carry', () => {
    expect(thrownBy(() => outgoingHeaders({ 'X-Bad': 'line\r\nbreak' }))).toMatchObject({
      code: 'validation_failed',
    });
    expect(thrownBy(() => outgoingHeaders({ 'Bad:Name': 'x' }))).toMatchObject({ code: 'validation_failed' });
  });

  it('reads nothing from absent headers', () => {
    expect(headersToRecord(undefined)).toEqual({});
    expect(headerValue(undefined, headerNames.tenantId)).toBeUndefined();
  });
});
