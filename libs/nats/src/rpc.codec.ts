import { headers as createHeaders, type Msg, type MsgHdrs } from '@nats-io/transport-node';
import type { ConsumerDeserializer, IncomingEvent, IncomingRequest, Serializer } from '@nestjs/microservices';
import { errorEnvelopeSchema, headerNames, ParleyError, type ErrorEnvelope } from '@parley/contracts';
import { requestContext } from '@parley/logging';

/** The envelope of an error nobody meant to throw: the caller learns nothing internal. */
export const internalErrorEnvelope: ErrorEnvelope = Object.freeze({
  code: 'internal',
  message: 'Internal error',
});

/**
 * Reads a request as any NATS client sends it: the body is the payload as plain JSON (no Nest
 * `{ pattern, data, id }` packet), the pattern is the canonical subject the server subscribed for.
 * A message without a reply subject is an event. An empty body is an absent payload.
 */
export class ParleyRequestDeserializer implements ConsumerDeserializer {
  deserialize(message: Msg, options: { channel: string }): IncomingRequest | IncomingEvent {
    const data = decodeJsonBody(message.data);
    return message.reply
      ? { pattern: options.channel, data, id: message.reply }
      : { pattern: options.channel, data };
  }
}

/** Parses a JSON body; malformed JSON is the caller's mistake, reported as `validation_failed`. */
export function decodeJsonBody(data: Uint8Array): unknown {
  if (data.length === 0) {
    return undefined;
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data)) as unknown;
  } catch {
    throw new ParleyError('validation_failed', 'The message body is not valid JSON');
  }
}

/** What a handler produced: a response, or an error (already mapped by the exception filter). */
export type ReplyPacket = { response: unknown } | { err: unknown };

export interface SerializedReply {
  data: string;
  headers: MsgHdrs;
}

/**
 * Writes `{ "ok": true, "data": … }` or `{ "ok": false, "error": ErrorEnvelope }`, with the
 * correlation id (given, else the current request context's) in the reply headers.
 */
export class ParleyReplySerializer implements Serializer<ReplyPacket, SerializedReply> {
  serialize(packet: ReplyPacket, options: { correlationId?: string } = {}): SerializedReply {
    const headers = createHeaders();
    headers.set(headerNames.correlationId, options.correlationId ?? requestContext.correlationId());
    const body =
      'err' in packet
        ? { ok: false, error: toErrorEnvelope(packet.err) ?? internalErrorEnvelope }
        : { ok: true, data: packet.response };
    return { data: JSON.stringify(body), headers };
  }
}

/** The envelope an error maps to when it is one of ours; undefined for anything else. */
export function toErrorEnvelope(error: unknown): ErrorEnvelope | undefined {
  if (error instanceof ParleyError) {
    return error.toEnvelope();
  }
  const parsed = errorEnvelopeSchema.safeParse(error);
  return parsed.success ? parsed.data : undefined;
}
