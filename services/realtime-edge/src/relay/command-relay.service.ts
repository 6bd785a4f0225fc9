import { Injectable } from '@nestjs/common';
import { ParleyError, type RequestContract, type RequestOf, type ResponseOf } from '@parley/contracts';
import { createLogger, logSecurityEvent } from '@parley/logging';
import { NatsRpcClient } from '@parley/nats';
import { sessionOf, type EdgeSocket } from '../socket/socket-session.js';

/**
 * Turns a client command into the service request it stands for, carrying the connection's own
 * access token: the service verifies the actor and decides, exactly as for any other caller. Its
 * answer, or its error envelope, goes back as the acknowledgement.
 */
@Injectable()
export class CommandRelay {
  private readonly logger = createLogger(CommandRelay.name);

  constructor(private readonly rpc: NatsRpcClient) {}

  async forward<C extends RequestContract>(
    socket: EdgeSocket,
    contract: C,
    payload: RequestOf<C>,
  ): Promise<ResponseOf<C>> {
    const { principal, token } = sessionOf(socket);
    try {
      return await this.rpc.request(contract, payload, { token });
    } catch (error) {
      if (
        error instanceof ParleyError &&
        error.code === 'forbidden' &&
        error.details?.['reason'] === 'other_tenant'
      ) {
        logSecurityEvent(this.logger, {
          type: 'tenant',
          outcome: 'denied',
          reason: 'tenant_violation',
          actorId: principal.userId,
          tenantId: principal.tenantId,
          target: contract.subject,
        });
      }
      throw error;
    }
  }
}
