import { jest } from '@jest/globals';
import { errors as natsErrors, type NatsConnection } from '@nats-io/transport-node';
import { defineRequest } from '@parley/contracts';
import { z } from 'zod';
import { Namespace } from './namespace.js';
import { NatsRpcClient } from './nats-rpc.client.js';

const count = defineRequest({
  service: 'identity',
  entity: 'probe',
  verb: 'count',
  summary: 'Counts (test)',
  authentication: 'none',
  request: z.object({ n: z.bigint() }),
  response: z.object({}),
});
const echo = defineRequest({
  service: 'identity',
  entity: 'probe',
  verb: 'echo',
  summary: 'Echoes (test)',
  authentication: 'none',
  request: z.object({}),
  response: z.object({}),
});

function clientWith(request: NatsConnection['request']): NatsRpcClient {
  return new NatsRpcClient({ request } as NatsConnection, new Namespace('t-unit'));
}

describe('NatsRpcClient (failure mapping)', () => {
  it('refuses a payload its schema accepts but JSON cannot carry, without sending it', async () => {
    const request = jest.fn<NatsConnection['request']>();
    await expect(clientWith(request).request(count, { n: 1n })).rejects.toMatchObject({
      code: 'validation_failed',
      message: 'The request cannot be encoded as JSON',
    });
    expect(request).not.toHaveBeenCalled();
  });

  it('reports a connection it cannot use as unavailable, keeping the cause', async () => {
    const closed = new natsErrors.ClosedConnectionError();
    const client = clientWith(jest.fn<NatsConnection['request']>().mockRejectedValue(closed));
    await expect(client.request(echo, {})).rejects.toMatchObject({
      code: 'unavailable',
      message: `Cannot reach ${echo.subject}`,
      cause: closed,
    });
  });
});
