import type { ArgumentsHost } from '@nestjs/common';
import { NatsContext, RpcException } from '@nestjs/microservices';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { headerNames, ParleyError } from '@parley/contracts';
import { configureLogging, requestContext } from '@parley/logging';
import { firstValueFrom } from 'rxjs';
import { NatsExceptionFilter } from './nats-exception.filter.js';

function host(context: unknown): ArgumentsHost {
  return {
    switchToRpc: () => ({ getContext: () => context, getData: () => undefined }),
  } as unknown as ArgumentsHost;
}

const logged: Array<Record<string, unknown>> = [];

async function envelopeOf(exception: unknown, context: unknown = undefined): Promise<unknown> {
  return firstValueFrom(new NatsExceptionFilter().catch(exception, host(context))).catch(
    (error: unknown) => error,
  );
}

describe('NatsExceptionFilter', () => {
  beforeAll(() =>
    configureLogging({
      service: 'nats-test',
      destination: { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) },
    }),
  );
  beforeEach(() => (logged.length = 0));

  it('maps a ParleyError to its envelope without logging it', async () => {
    await expect(envelopeOf(new ParleyError('conflict', 'Taken'))).resolves.toEqual({
      code: 'conflict',
      message: 'Taken',
    });
    expect(logged).toEqual([]);
  });

  it('maps a guard that returned false to forbidden', async () => {
    await expect(envelopeOf(new RpcException('Forbidden resource'))).resolves.toEqual({
      code: 'forbidden',
      message: 'Not allowed',
    });
  });

  it('maps anything else to internal and logs it with the correlation id of the message', async () => {
    const headers = natsHeaders();
    headers.set(headerNames.correlationId, 'c-9');
    const context = new NatsContext(['ns.identity.v1.user.get', headers]);
    await expect(envelopeOf(new RpcException('other'), context)).resolves.toEqual({
      code: 'internal',
      message: 'Internal error',
    });
    expect(logged).toEqual([
      expect.objectContaining({ correlationId: 'c-9', subject: 'ns.identity.v1.user.get' }),
    ]);
    await envelopeOf('a string', { not: 'a nats context' });
    expect(logged[1]).toMatchObject({ level: 'error', err: 'a string' });
    expect(logged[1]?.['correlationId']).toBeUndefined();
    expect(logged[1]?.['subject']).toBeUndefined();
    await requestContext.run({ correlationId: 'from-context' }, () => envelopeOf(new Error('x'), context));
    expect(logged[2]).toMatchObject({ correlationId: 'from-context', err: { message: 'x' } });
  });
});
