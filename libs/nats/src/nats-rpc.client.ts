import { Inject, Injectable } from '@nestjs/common';
import { errors as natsErrors, type Msg, type NatsConnection } from '@nats-io/transport-node';
import {
  headerNames,
  ParleyError,
  replyEnvelopeSchema,
  validationError,
  type RequestContract,
  type RequestOf,
  type ResponseOf,
} from '@parley/contracts';
import { NATS_CONNECTION } from './connection.js';
import { parleyErrorFrom, reasonOf } from './error-details.js';
import { outgoingHeaders } from './message-headers.js';
import { Namespace } from './namespace.js';
import { decodeJsonBody } from './rpc.codec.js';

export interface RpcRequestOptions {
  /** Access token of the actor; sent as `Authorization: Bearer <token>`. */
  token?: string;
  timeoutMs?: number;
  /** Extra headers; they win over those taken from the request context. */
  headers?: Record<string, string>;
}

export const defaultRequestTimeoutMs = 5000;

/**
 * Calls a request contract of another service: the payload is checked before it leaves, the
 * reply against the response schema, and an error reply comes back as the `ParleyError` it was.
 * Correlation, tenant and actor headers follow the current request context.
 */
@Injectable()
export class NatsRpcClient {
  constructor(
    @Inject(NATS_CONNECTION) private readonly connection: NatsConnection,
    private readonly namespace: Namespace,
  ) {}

  async request<C extends RequestContract>(
    contract: C,
    payload: RequestOf<C>,
    options: RpcRequestOptions = {},
  ): Promise<ResponseOf<C>> {
    const checked = contract.request.safeParse(payload);
    if (!checked.success) {
      throw validationError('request', checked.error);
    }
    // With a token, the token alone says who acts: the request context's tenant and actor name
    // the caller being served, who may not be the one the token belongs to (a service account).
    const headers = outgoingHeaders({
      ...(options.token === undefined
        ? {}
        : {
            [headerNames.tenantId]: '',
            [headerNames.actorId]: '',
            [headerNames.authorization]: `Bearer ${options.token}`,
          }),
      ...options.headers,
    });
    const subject = this.namespace.subject(contract.subject);
    // The caller's payload as given: the server parses it again with the same schema.
    const body = encodeJson(payload);
    let reply: Msg;
    try {
      reply = await this.connection.request(subject, body, {
        timeout: options.timeoutMs ?? defaultRequestTimeoutMs,
        headers,
      });
    } catch (error) {
      throw unavailable(contract.subject, error);
    }
    return this.readReply(contract, reply);
  }

  private readReply<C extends RequestContract>(contract: C, reply: Msg): ResponseOf<C> {
    let body: unknown;
    try {
      body = decodeJsonBody(reply.data);
    } catch {
      throw new ParleyError('internal', `Unreadable reply from ${contract.subject}`);
    }
    const envelope = replyEnvelopeSchema.safeParse(body);
    if (!envelope.success) {
      throw new ParleyError('internal', `Malformed reply from ${contract.subject}`);
    }
    if (!envelope.data.ok) {
      throw ParleyError.fromEnvelope(envelope.data.error);
    }
    const response = contract.response.safeParse(envelope.data.data);
    if (!response.success) {
      throw new ParleyError('internal', `Reply from ${contract.subject} does not match its contract`, {
        issues: response.error.issues.map((issue) => ({
          path: issue.path.map(String).join('.'),
          message: issue.message,
        })),
      });
    }
    return response.data as ResponseOf<C>;
  }
}

function encodeJson(payload: unknown): string {
  try {
    return JSON.stringify(payload);
  } catch (error) {
    throw new ParleyError('validation_failed', 'The request cannot be encoded as JSON', {
      reason: reasonOf(error),
    });
  }
}

function unavailable(subject: string, error: unknown): ParleyError {
  // The client rejects with TimeoutError on timeout, and with a RequestError wrapping
  // NoRespondersError when no subscriber exists; anything else (closed connection) is neither.
  const message =
    error instanceof natsErrors.RequestError && error.isNoResponders()
      ? `No service answers ${subject}`
      : error instanceof natsErrors.TimeoutError
        ? `No reply from ${subject} in time`
        : `Cannot reach ${subject}`;
  return parleyErrorFrom(error, 'unavailable', message);
}
