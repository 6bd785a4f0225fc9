import { z } from 'zod';
import { idSchema, timestampSchema } from '../common.js';

/**
 * The permission language, as schemas. Words and rules: docs/00010-conventions-permissions.md.
 *
 * A permission is `domain:function:action`: three lowercase segments, kebab-case inside a
 * segment. One pattern, used everywhere a permission is written.
 */
export const permissionPattern =
  /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*:[a-z][a-z0-9]*(?:-[a-z0-9]+)*:[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
export const permissionDomainPattern = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

export const permissionSchema = z
  .string()
  .max(120)
  .regex(permissionPattern, 'A permission is domain:function:action, lowercase, kebab-case inside a segment')
  .describe('A permission: domain:function:action');
export type Permission = z.infer<typeof permissionSchema>;

export const permissionDomainSchema = z
  .string()
  .max(40)
  .regex(permissionDomainPattern, 'A permission domain is lowercase kebab-case')
  .describe('The first segment of a permission');

/** The name of a permission set: lowercase kebab-case, unique per tenant (or among system sets). */
export const permissionSetNameSchema = z
  .string()
  .min(2)
  .max(63)
  .regex(/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/, 'A permission set name is lowercase kebab-case');

/** Kinds of resource an assignment or a check can be scoped to. */
export const resourceTypes = ['tenant', 'conversation', 'file', 'notification', 'user'] as const;
export type ResourceType = (typeof resourceTypes)[number];

/**
 * A participant's place in a conversation. Each is one system permission set assigned on the
 * conversation (docs/00010-conventions-permissions.md, section 5).
 */
export const standings = ['owner', 'administrator', 'member', 'guest'] as const;
export type Standing = (typeof standings)[number];

/** A resource as a check sees it: what it is, and who owns it when ownership matters. */
export const resourceSchema = z.object({
  type: z.enum(resourceTypes),
  id: idSchema,
  ownerId: idSchema.optional().describe('The user owning the resource, for ownership conditions'),
});
export type Resource = z.infer<typeof resourceSchema>;

const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 24-hour');

/**
 * Conditions restrict an assignment; an assignment whose conditions do not hold counts for nothing
 * (it never denies). All conditions of one assignment must hold.
 */
export const conditionsSchema = z
  .object({
    timeWindow: z
      .object({
        start: timeOfDay,
        end: timeOfDay,
        timeZone: z.string().min(1).max(64).default('UTC'),
        days: z
          .array(z.number().int().min(1).max(7))
          .min(1)
          .max(7)
          .optional()
          .describe('ISO weekdays, 1 = Monday'),
      })
      .optional()
      .describe(
        'Holds between start and end each day (in the time zone); an end before the start wraps past midnight',
      ),
    ownedByActor: z
      .literal(true)
      .optional()
      .describe('Holds when the resource of the check is owned by the actor'),
  })
  .strict();
export type Conditions = z.infer<typeof conditionsSchema>;

export const assignmentTargetSchema = z.union([
  z.object({ permission: permissionSchema }),
  z.object({ permissionSetId: idSchema }),
]);

export const assignmentSchema = z.object({
  id: idSchema,
  tenantId: idSchema,
  actorId: idSchema,
  permission: permissionSchema.nullable(),
  permissionSetId: idSchema.nullable(),
  resource: z.object({ type: z.enum(resourceTypes), id: idSchema }).nullable(),
  validFrom: timestampSchema.nullable(),
  validUntil: timestampSchema.nullable(),
  conditions: conditionsSchema,
  createdById: idSchema.nullable(),
  createdAt: timestampSchema,
});
export type Assignment = z.infer<typeof assignmentSchema>;

export const permissionSetSchema = z.object({
  id: idSchema,
  tenantId: idSchema.nullable().describe('null for a system permission set, shared by every tenant'),
  name: permissionSetNameSchema,
  description: z.string(),
  permissions: z.array(permissionSchema),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});
export type PermissionSet = z.infer<typeof permissionSetSchema>;

export const catalogEntrySchema = z.object({
  permission: permissionSchema,
  description: z.string().min(1).max(300),
  resourceTypes: z
    .array(z.enum(resourceTypes))
    .max(resourceTypes.length)
    .default([])
    .describe('Resource types a requirement of this permission may be scoped to; empty: tenant-wide only'),
});
export type CatalogEntry = z.infer<typeof catalogEntrySchema>;

/** Why a check answered as it did. Stable values for logs and callers. */
export const checkReasons = [
  'assigned',
  'no_assignment',
  'condition_not_met',
  'not_yet_valid',
  'expired',
  'other_tenant',
  'unknown_permission',
] as const;
export type CheckReason = (typeof checkReasons)[number];

export const checkResultSchema = z.object({
  allowed: z.boolean(),
  reason: z.enum(checkReasons),
  /** The assignment that allowed it, when allowed. */
  assignmentId: idSchema.nullable(),
});

/**
 * An actor's effective permissions as CASL raw rules: `action` is the permission, `subject` the
 * resource type (`all` for tenant-wide), `conditions` a MongoDB-style query on the resource
 * (`{ id }` for a resource-scoped assignment, `{ ownerId }` for ownership).
 */
export const caslRuleSchema = z.object({
  action: permissionSchema,
  subject: z.union([z.enum(resourceTypes), z.literal('all')]),
  conditions: z.record(z.string(), z.unknown()).optional(),
});
export type CaslRule = z.infer<typeof caslRuleSchema>;

export const effectivePermissionsSchema = z.object({
  actorId: idSchema,
  tenantId: idSchema,
  rules: z.array(caslRuleSchema),
  /** The rules are exact until then: the next validity or time-window boundary, or a cap. */
  validUntil: timestampSchema,
  computedAt: timestampSchema,
});
export type EffectivePermissions = z.infer<typeof effectivePermissionsSchema>;
