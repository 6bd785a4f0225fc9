import { z } from 'zod';
import { defineEvent, defineRequest } from '../contract.js';
import { idSchema, pageOf, pageRequest, timestampSchema } from '../common.js';
import { serviceNames } from '../subjects.js';
import {
  assignmentSchema,
  catalogEntrySchema,
  checkResultSchema,
  conditionsSchema,
  effectivePermissionsSchema,
  permissionDomainSchema,
  permissionSchema,
  permissionSetNameSchema,
  permissionSetSchema,
  resourceSchema,
  resourceTypes,
  standings,
} from './permission.schema.js';

const service = 'permission';

const descriptionSchema = z.string().trim().min(1).max(300);

/** Request/reply operations of the permission service. */
export const permissionRequests = {
  check: defineRequest({
    service,
    entity: 'permission',
    verb: 'check',
    summary: "Whether an actor holds a permission in the caller's tenant, optionally for one resource",
    authentication: 'actor',
    request: z.object({
      actorId: idSchema,
      permission: permissionSchema,
      resource: resourceSchema.optional(),
    }),
    response: checkResultSchema,
  }),
  effective: defineRequest({
    service,
    entity: 'permission',
    verb: 'get-effective',
    summary: "An actor's effective permissions in the caller's tenant, compiled as CASL rules",
    authentication: 'actor',
    request: z.object({ actorId: idSchema }),
    response: effectivePermissionsSchema,
  }),
  registerCatalog: defineRequest({
    service,
    entity: 'catalog',
    verb: 'register',
    summary:
      'A service declares the permissions its handlers require (at start-up, idempotent). Declaring gives ' +
      'nobody anything; NATS account permissions decide who may publish here',
    authentication: 'none',
    request: z.object({
      service: z.enum(serviceNames),
      domains: z
        .array(z.object({ domain: permissionDomainSchema, description: descriptionSchema }))
        .min(1)
        .max(20),
      permissions: z.array(catalogEntrySchema).min(1).max(500),
    }),
    response: z.object({ added: z.array(permissionSchema), unchanged: z.number().int() }),
  }),
  listCatalog: defineRequest({
    service,
    entity: 'catalog',
    verb: 'list',
    summary: 'Every registered permission with its domain and description',
    authentication: 'actor',
    request: z.object({}),
    response: z.object({
      domains: z.array(z.object({ domain: permissionDomainSchema, description: z.string() })),
      permissions: z.array(
        catalogEntrySchema.extend({ domain: permissionDomainSchema, service: z.enum(serviceNames) }),
      ),
    }),
  }),
  createPermissionSet: defineRequest({
    service,
    entity: 'permission-set',
    verb: 'create',
    summary: "Create a permission set of the caller's tenant",
    authentication: 'actor',
    request: z.object({
      name: permissionSetNameSchema,
      description: descriptionSchema,
      permissions: z.array(permissionSchema).min(1).max(200),
    }),
    response: permissionSetSchema,
  }),
  updatePermissionSet: defineRequest({
    service,
    entity: 'permission-set',
    verb: 'update',
    summary: "Change the description or the permissions of one of the tenant's permission sets",
    authentication: 'actor',
    request: z.object({
      permissionSetId: idSchema,
      description: descriptionSchema.optional(),
      permissions: z.array(permissionSchema).min(1).max(200).optional(),
    }),
    response: permissionSetSchema,
  }),
  deletePermissionSet: defineRequest({
    service,
    entity: 'permission-set',
    verb: 'delete',
    summary: "Delete one of the tenant's permission sets and every assignment of it",
    authentication: 'actor',
    request: z.object({ permissionSetId: idSchema }),
    response: z.object({ permissionSetId: idSchema, deletedAt: timestampSchema }),
  }),
  listPermissionSets: defineRequest({
    service,
    entity: 'permission-set',
    verb: 'list',
    summary: 'The system permission sets and those of the caller’s tenant',
    authentication: 'actor',
    request: z.object({}),
    response: z.object({ items: z.array(permissionSetSchema) }),
  }),
  createAssignment: defineRequest({
    service,
    entity: 'assignment',
    verb: 'create',
    summary: "Give an actor a permission or a permission set in the caller's tenant",
    authentication: 'actor',
    request: z.object({
      actorId: idSchema,
      permission: permissionSchema.optional(),
      permissionSetId: idSchema.optional(),
      resource: z.object({ type: z.enum(resourceTypes), id: idSchema }).optional(),
      validFrom: timestampSchema.optional(),
      validUntil: timestampSchema.optional(),
      // Strict and bounded field by field, so conditions cannot grow large.
      conditions: conditionsSchema.default({}),
    }),
    response: assignmentSchema,
  }),
  revokeAssignment: defineRequest({
    service,
    entity: 'assignment',
    verb: 'revoke',
    summary: 'Remove an assignment',
    authentication: 'actor',
    request: z.object({ assignmentId: idSchema }),
    response: z.object({ assignmentId: idSchema, revokedAt: timestampSchema }),
  }),
  listAssignments: defineRequest({
    service,
    entity: 'assignment',
    verb: 'list',
    summary: "Assignments of the caller's tenant, optionally of one actor or one resource",
    authentication: 'actor',
    request: z.object({
      actorId: idSchema.optional(),
      resource: z.object({ type: z.enum(resourceTypes), id: idSchema }).optional(),
      ...pageRequest(50, 200),
    }),
    response: pageOf(assignmentSchema),
  }),
  bootstrapTenantAdministrator: defineRequest({
    service,
    entity: 'tenant-administrator',
    verb: 'bootstrap',
    summary: 'Make a user the first administrator of a tenant that has none (platform operators only)',
    authentication: 'actor',
    request: z.object({ tenantId: idSchema, userId: idSchema }),
    response: assignmentSchema,
  }),
  setStandings: defineRequest({
    service,
    entity: 'standing',
    verb: 'set',
    summary:
      'Set the standing of participants in one conversation of a tenant: each gets the permission set of its ' +
      'standing scoped to the conversation, replacing the one it had; `null` revokes it. One transaction. For ' +
      'the conversation service, acting for the platform (needs permission:standing:set in the platform tenant)',
    authentication: 'actor',
    request: z.object({
      tenantId: idSchema,
      conversationId: idSchema,
      standings: z
        .array(
          z.object({
            actorId: idSchema,
            standing: z.enum(standings).nullable(),
            // A membership that ends (enrollment-gated communities): the assignment's valid until.
            validUntil: timestampSchema.nullable().default(null),
          }),
        )
        .min(1)
        .max(1000)
        .refine((items) => new Set(items.map((item) => item.actorId)).size === items.length, {
          message: 'Each actor may appear once',
        }),
    }),
    response: z.object({
      standings: z.array(
        z.object({
          actorId: idSchema,
          standing: z.enum(standings).nullable(),
          // Named since 2026-11-22; the default reads a service that did not name it yet.
          validUntil: timestampSchema
            .nullable()
            .default(null)
            .describe('When the standing ends; null: it does not'),
          assignmentId: idSchema.nullable(),
          changed: z.boolean(),
        }),
      ),
    }),
  }),
} as const;

/** Events of the permission service, published through its outbox. */
export const permissionEvents = {
  assignmentChanged: defineEvent({
    service,
    entity: 'assignment',
    event: 'changed',
    summary: "An actor's assignments changed: caches of that actor's permissions must be dropped",
    payload: z.object({
      actorId: idSchema,
      assignmentId: idSchema,
      change: z.enum(['created', 'revoked']),
    }),
  }),
  permissionSetChanged: defineEvent({
    service,
    entity: 'permission-set',
    event: 'changed',
    summary: "A permission set's permissions changed or it was deleted: caches of the tenant must be dropped",
    payload: z.object({ permissionSetId: idSchema, change: z.enum(['created', 'updated', 'deleted']) }),
  }),
  catalogChanged: defineEvent({
    service,
    entity: 'catalog',
    event: 'changed',
    summary: 'A service registered new permissions',
    payload: z.object({ service: z.enum(serviceNames), added: z.array(permissionSchema) }),
  }),
} as const;
