import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { WsException } from '@nestjs/websockets';
import { ParleyError, type Ack } from '@parley/contracts';
import { configureLogging } from '@parley/logging';
import { SocketErrorFilter } from './socket-error.filter.js';

function host(respond: unknown, emitted: unknown[]): ExecutionContextHost {
  const socket = { emit: (event: string, payload: unknown) => emitted.push([event, payload]) };
  const context = new ExecutionContextHost([socket, {}, respond, 'message:send']);
  context.setType('ws');
  return context;
}

describe('SocketErrorFilter', () => {
  const filter = new SocketErrorFilter();

  beforeAll(() => configureLogging({ service: 'socket-error-filter-spec', level: 'silent' }));

  it('answers a ParleyError with its envelope through the responder', () => {
    const replies: Array<Ack<unknown>> = [];
    filter.catch(
      new ParleyError('forbidden', 'No', { missing: ['a:b:c'] }),
      host((reply: Ack<unknown>) => replies.push(reply), []),
    );
    expect(replies).toEqual([
      { ok: false, error: { code: 'forbidden', message: 'No', details: { missing: ['a:b:c'] } } },
    ]);
  });

  it('answers a guard refusal as forbidden and anything else as internal, without its message', () => {
    const replies: Array<Ack<unknown>> = [];
    const respond = (reply: Ack<unknown>) => replies.push(reply);
    filter.catch(new WsException('Forbidden resource'), host(respond, []));
    filter.catch(new Error('connection to 10.0.0.7 refused'), host(respond, []));
    expect(replies).toEqual([
      { ok: false, error: { code: 'forbidden', message: 'This operation is not allowed' } },
      { ok: false, error: { code: 'internal', message: 'Something went wrong' } },
    ]);
  });

  it('emits `error` when no responder came with the event', () => {
    const emitted: unknown[] = [];
    filter.catch(new ParleyError('not_found', 'Gone'), host(undefined, emitted));
    expect(emitted).toEqual([['error', { code: 'not_found', message: 'Gone', event: 'message:send' }]]);
  });
});
