import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { eventCatalog, permissionDeclarations, requestCatalog } from './catalog.js';
import type { CatalogDeclaration } from './permission/catalog-declaration.js';
import type { EventContract, RequestContract } from './contract.js';
import { errorEnvelopeSchema } from './errors.js';
import { headerNames } from './headers.js';
import { apiVersion, eventFilter } from './subjects.js';
import {
  connectRefusalReasons,
  connectRefusalSchema,
  realtimeCommands,
  realtimeEvents,
  roomEnvelopeSchema,
  roomKinds,
  type SocketCommand,
  type SocketEvent,
} from './realtime-edge/index.js';

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    target: 'draft-2020-12',
  });
  return rest;
}

function pascal(subject: string): string {
  return subject
    .split(/[.-]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

const headersSchema: JsonSchema = {
  type: 'object',
  properties: {
    [headerNames.correlationId]: {
      type: 'string',
      description: 'Correlation id, echoed in replies and logs',
    },
    [headerNames.authorization]: {
      type: 'string',
      description: 'Bearer <access token>, for operations with an actor',
    },
    [headerNames.tenantId]: { type: 'string', description: 'Tenant of the actor (must match the token)' },
    [headerNames.actorId]: { type: 'string', description: 'User id of the actor (must match the token)' },
  },
};

function replySchema(contract: RequestContract): JsonSchema {
  return {
    oneOf: [
      {
        type: 'object',
        properties: { ok: { const: true }, data: jsonSchema(contract.response, 'output') },
        required: ['ok', 'data'],
      },
      {
        type: 'object',
        properties: { ok: { const: false }, error: { $ref: '#/components/schemas/ErrorEnvelope' } },
        required: ['ok', 'error'],
      },
    ],
  };
}

/** The AsyncAPI 3 document of every NATS subject. */
export function buildAsyncApi(
  requests: readonly RequestContract[] = requestCatalog,
  events: readonly EventContract[] = eventCatalog,
): JsonSchema {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};

  for (const contract of requests) {
    const id = pascal(contract.subject);
    messages[`${id}Request`] = {
      name: `${id}Request`,
      summary: contract.summary,
      headers: headersSchema,
      payload: jsonSchema(contract.request, 'input'),
    };
    messages[`${id}Reply`] = { name: `${id}Reply`, payload: replySchema(contract) };
    channels[id] = {
      address: contract.subject,
      description: contract.summary,
      messages: { request: { $ref: `#/components/messages/${id}Request` } },
    };
    channels[`${id}Reply`] = {
      address: null,
      description: `Reply inbox of ${contract.subject}`,
      messages: { reply: { $ref: `#/components/messages/${id}Reply` } },
    };
    operations[id] = {
      action: 'receive',
      channel: { $ref: `#/channels/${id}` },
      summary: contract.summary,
      description: `Served by ${contract.service} (queue group "${contract.service}"). Authentication: ${contract.authentication}.`,
      reply: { channel: { $ref: `#/channels/${id}Reply` } },
    };
  }

  for (const contract of events) {
    const id = pascal(`${contract.service}.${contract.type}`);
    const address = eventFilter(contract.service, contract.type, '{tenantId}');
    messages[id] = {
      name: id,
      summary: contract.summary,
      headers: {
        type: 'object',
        properties: {
          [headerNames.messageId]: {
            type: 'string',
            description: 'Event id, unique; JetStream de-duplicates on it',
          },
          [headerNames.correlationId]: { type: 'string' },
        },
      },
      payload: jsonSchema(contract.payload, 'output'),
    };
    channels[id] = {
      address,
      description: contract.summary,
      parameters: { tenantId: { description: 'Tenant the event belongs to' } },
      messages: { event: { $ref: `#/components/messages/${id}` } },
    };
    operations[id] = {
      action: 'send',
      channel: { $ref: `#/channels/${id}` },
      summary: contract.summary,
      description: `Published by ${contract.service} on JetStream stream ${contract.service.replace(/-/g, '_')}_events.`,
    };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Parley NATS API',
      version: apiVersion,
      description:
        'Request/reply operations and JetStream events of the Parley services. Requests carry plain JSON; ' +
        'replies are {"ok":true,"data":…} or {"ok":false,"error":{code,message,details}}.',
    },
    defaultContentType: 'application/json',
    servers: { local: { host: '127.0.0.1:4222', protocol: 'nats' } },
    channels,
    operations,
    components: { messages, schemas: { ErrorEnvelope: jsonSchema(errorEnvelopeSchema, 'output') } },
  };
}

/** `message:send` → `MessageSend`. */
function socketId(event: string): string {
  return pascal(event.replace(/:/g, '-'));
}

/**
 * The AsyncAPI 3 document of the realtime edge: the Socket.IO events clients send (with their
 * acknowledgements) and receive, how a connection authenticates, and the room subjects edge
 * instances use among themselves. Separate from the NATS document, which it does not change.
 */
export function buildRealtimeAsyncApi(
  commands: readonly SocketCommand[] = Object.values(realtimeCommands),
  events: readonly SocketEvent[] = Object.values(realtimeEvents),
): JsonSchema {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const edge = [{ $ref: '#/servers/edge' }];

  for (const command of commands) {
    const id = socketId(command.event);
    messages[id] = {
      name: command.event,
      summary: command.summary,
      payload: jsonSchema(command.payload, 'input'),
    };
    messages[`${id}Ack`] = {
      name: `${command.event} acknowledgement`,
      payload: {
        oneOf: [
          {
            type: 'object',
            properties: { ok: { const: true }, data: jsonSchema(command.ack, 'output') },
            required: ['ok', 'data'],
          },
          {
            type: 'object',
            properties: { ok: { const: false }, error: { $ref: '#/components/schemas/ErrorEnvelope' } },
            required: ['ok', 'error'],
          },
        ],
      },
    };
    channels[id] = {
      address: command.event,
      servers: edge,
      description: command.summary,
      messages: { command: { $ref: `#/components/messages/${id}` } },
    };
    channels[`${id}Ack`] = {
      address: null,
      servers: edge,
      description: `Acknowledgement callback of ${command.event}`,
      messages: { ack: { $ref: `#/components/messages/${id}Ack` } },
    };
    operations[id] = {
      action: 'receive',
      channel: { $ref: `#/channels/${id}` },
      summary: command.summary,
      description:
        command.relays === undefined
          ? 'Handled by the edge.'
          : `Relayed to ${command.relays.subject} with the connection's access token.`,
      reply: { channel: { $ref: `#/channels/${id}Ack` } },
    };
  }

  for (const event of events) {
    const id = `${socketId(event.event)}Event`;
    messages[id] = {
      name: event.event,
      summary: event.summary,
      payload: jsonSchema(event.payload, 'output'),
    };
    channels[id] = {
      address: event.event,
      servers: edge,
      description: `${event.summary}. Sent to: ${event.audience}.`,
      messages: { event: { $ref: `#/components/messages/${id}` } },
    };
    operations[id] = {
      action: 'send',
      channel: { $ref: `#/channels/${id}` },
      summary: event.summary,
    };
  }

  messages['ConnectError'] = {
    name: 'connect_error',
    summary: `A refused connection; details.reason is one of ${connectRefusalReasons.join(', ')}`,
    payload: jsonSchema(connectRefusalSchema, 'output'),
  };
  channels['ConnectError'] = {
    address: 'connect_error',
    servers: edge,
    description: 'Socket.IO connect_error: its data is the error envelope',
    messages: { refusal: { $ref: '#/components/messages/ConnectError' } },
  };
  operations['ConnectError'] = {
    action: 'send',
    channel: { $ref: '#/channels/ConnectError' },
    summary: 'Refuse a connection with a reason',
  };

  messages['RoomEnvelope'] = {
    name: 'room envelope',
    summary: 'What one edge instance publishes for the sockets of a room on every instance',
    payload: jsonSchema(roomEnvelopeSchema, 'output'),
  };
  channels['Room'] = {
    address: `realtime-edge.${apiVersion}.rooms.{tenantId}.{kind}.{id}`,
    servers: [{ $ref: '#/servers/nats' }],
    description:
      'Core NATS subject of one room, between edge instances: an instance subscribes while it has a socket in ' +
      'the room',
    parameters: {
      tenantId: { description: 'Tenant of the room' },
      kind: { description: 'Kind of room', enum: [...roomKinds] },
      id: { description: 'User, tenant or conversation id' },
    },
    messages: { envelope: { $ref: '#/components/messages/RoomEnvelope' } },
  };
  operations['RoomPublish'] = {
    action: 'send',
    channel: { $ref: '#/channels/Room' },
    summary: 'The instance that consumed an event (or received a typing indicator) publishes it to its room',
  };
  operations['RoomReceive'] = {
    action: 'receive',
    channel: { $ref: '#/channels/Room' },
    summary: 'Instances with sockets in the room emit it to them',
  };

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Parley realtime API',
      version: apiVersion,
      description:
        'Socket.IO events between clients and the realtime edge (docs/realtime-edge.md). Commands are ' +
        'acknowledged with {"ok":true,"data":…} or {"ok":false,"error":{code,message,details}}. A connection ' +
        'authenticates with an access token in the handshake: auth.token, the Authorization header, or the ' +
        'token query parameter where the edge allows it.',
    },
    defaultContentType: 'application/json',
    servers: {
      edge: {
        host: '127.0.0.1:3000',
        pathname: '/socket.io/',
        protocol: 'ws',
        description: 'Socket.IO 4 over WebSocket',
        security: [{ $ref: '#/components/securitySchemes/handshakeToken' }],
      },
      nats: {
        host: '127.0.0.1:4222',
        protocol: 'nats',
        description: 'Between edge instances only',
      },
    },
    channels,
    operations,
    components: {
      messages,
      schemas: { ErrorEnvelope: jsonSchema(errorEnvelopeSchema, 'output') },
      securitySchemes: {
        handshakeToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'An access token of identity: in the handshake auth object ({ token }), the Authorization header, ' +
            'or the token query parameter',
        },
      },
    },
  };
}

/** The subject catalog in Markdown, for docs/. */
export function buildSubjectCatalog(
  requests: readonly RequestContract[] = requestCatalog,
  events: readonly EventContract[] = eventCatalog,
): string {
  const lines = [
    '# Subject catalog',
    '',
    'Generated from `contracts/` by `npm run generate -w @parley/contracts`; do not edit by hand.',
    '',
    '## Requests',
    '',
    '| subject | authentication | summary |',
    '|---|---|---|',
    ...requests.map((c) => `| \`${c.subject}\` | ${c.authentication} | ${c.summary} |`),
    '',
    '## Events',
    '',
    '| subject | summary |',
    '|---|---|',
    ...events.map((c) => `| \`${eventFilter(c.service, c.type, '<tenant-id>')}\` | ${c.summary} |`),
    '',
  ];
  return lines.join('\n');
}

/** The permission catalog in Markdown: every declared permission, by domain. */
export function buildPermissionCatalog(
  declarations: readonly CatalogDeclaration[] = permissionDeclarations,
): string {
  const lines = [
    '# Permission catalog',
    '',
    'Generated from the declarations in `contracts/` by `npm run generate -w @parley/contracts`; do not edit by hand.',
    'Each service registers the same declarations with the permission service at start-up. The words are defined in',
    '[00010-conventions-permissions.md](../00010-conventions-permissions.md).',
    '',
    '| permission | declared by | may be scoped to | description |',
    '|---|---|---|---|',
  ];
  for (const declaration of declarations) {
    for (const entry of declaration.permissions) {
      const scope = entry.resourceTypes.length === 0 ? 'tenant only' : entry.resourceTypes.join(', ');
      lines.push(`| \`${entry.permission}\` | ${declaration.service} | ${scope} | ${entry.description} |`);
    }
  }
  lines.push('');
  return lines.join('\n');
}

/** One JSON Schema document per message: requests, replies' data and event payloads, by subject. */
export function buildJsonSchemas(
  requests: readonly RequestContract[] = requestCatalog,
  events: readonly EventContract[] = eventCatalog,
): JsonSchema {
  const definitions: Record<string, JsonSchema> = {};
  for (const contract of requests) {
    definitions[`${contract.subject}.request`] = jsonSchema(contract.request, 'input');
    definitions[`${contract.subject}.response`] = jsonSchema(contract.response, 'output');
  }
  for (const contract of events) {
    definitions[eventFilter(contract.service, contract.type, '{tenantId}')] = jsonSchema(
      contract.payload,
      'output',
    );
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Parley message schemas',
    description:
      'Request, response and event payload schemas keyed by subject; replies wrap responses in the envelope.',
    $defs: { ErrorEnvelope: jsonSchema(errorEnvelopeSchema, 'output'), ...definitions },
  };
}

export interface GeneratedFile {
  path: string;
  content: string;
}

/** Every generated artifact with its path relative to the repository root. */
export function generatedFiles(): GeneratedFile[] {
  return [
    { path: 'contracts/generated/asyncapi.json', content: `${JSON.stringify(buildAsyncApi(), null, 2)}\n` },
    { path: 'contracts/generated/schemas.json', content: `${JSON.stringify(buildJsonSchemas(), null, 2)}\n` },
    {
      path: 'contracts/generated/asyncapi-realtime.json',
      content: `${JSON.stringify(buildRealtimeAsyncApi(), null, 2)}\n`,
    },
    { path: 'docs/generated/subjects.md', content: buildSubjectCatalog() },
    { path: 'docs/generated/permissions.md', content: buildPermissionCatalog() },
  ];
}

/** Files whose committed content differs from what the contracts generate. */
export function findDrift(root: string): string[] {
  return generatedFiles()
    .filter((file) => {
      try {
        return readFileSync(join(root, file.path), 'utf8') !== file.content;
      } catch {
        return true;
      }
    })
    .map((file) => file.path);
}

export function writeGenerated(root: string): void {
  for (const file of generatedFiles()) {
    mkdirSync(dirname(join(root, file.path)), { recursive: true });
    writeFileSync(join(root, file.path), file.content);
  }
}

/* c8 ignore start -- command-line entry */
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  if (process.argv.includes('--check')) {
    const drift = findDrift(root);
    if (drift.length > 0) {
      process.stderr.write(
        `Generated files are out of date: ${drift.join(', ')}. Run: npm run generate -w @parley/contracts\n`,
      );
      process.exit(1);
    }
  } else {
    writeGenerated(root);
  }
}
/* c8 ignore stop */
