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
