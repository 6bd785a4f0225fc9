import type { ExecutionContext } from '@nestjs/common';
import {
  ParleyError,
  permissionPattern,
  validationError,
  type ParsedRequestOf,
  type Permission,
  type RequestContract,
  type ResourceType,
} from '@parley/contracts';
import type { z } from 'zod';

/**
 * What a resolver reads: the NATS payload (rpc), the route parameters and JSON body (HTTP), or the
 * event data (Socket.IO). Not yet validated: the contract check runs after guards.
 */
export type RequirementInput = Readonly<Record<string, unknown>>;

/**
 * A resource as a request names it; checked against `resourceSchema` before use. No owner: a
 * request cannot prove who owns what (the caller writes it), so ownership is checked with
 * `PermissionChecker` once the service has loaded the resource.
 */
export interface ResourceInput {
  readonly type: ResourceType;
  readonly id: string;
}

/** Finds, in the request, the resource the requirement applies to; undefined when it names none. */
export type ResourceResolver = (
  input: RequirementInput,
  context: ExecutionContext,
) => ResourceInput | undefined;

/**
 * What a handler (or a whole controller) declares. A handler without a declaration is refused:
 * zero requirements never mean "allowed for all".
 */
export type Requirement =
  | { readonly kind: 'public' }
  | { readonly kind: 'authenticated' }
  | {
      readonly kind: 'permissions';
      readonly permissions: readonly Permission[];
      /** all: every permission is needed (AND, the default); any: one of them is enough. */
      readonly match: 'all' | 'any';
      readonly resource?: ResourceResolver;
    };

/** Reflect metadata key of a requirement, on the handler function or the controller class. */
export const REQUIREMENT = 'parley:requirement';

export interface RequirementOptions {
  /** The resource every listed permission is checked on. */
  readonly resource?: ResourceResolver;
}

export interface AnyOfRequirement extends RequirementOptions {
  /** One of these is enough (the rare OR case). */
  readonly anyOf: readonly string[];
}

type RequirementDecorator = MethodDecorator & ClassDecorator;

function declarationError(message: string, details?: Record<string, unknown>): ParleyError {
  // Raised while a class is being defined: a bug in the declaration, never a caller's mistake.
  return new ParleyError('internal', message, details);
}

/** Checks permission strings once, when the decorator is evaluated. */
export function checkedPermissions(permissions: readonly unknown[], where: string): Permission[] {
  if (permissions.length === 0) {
    throw declarationError(`${where} needs at least one permission`);
  }
  const seen = new Set<string>();
  for (const permission of permissions) {
    if (typeof permission !== 'string' || !permissionPattern.test(permission)) {
      throw declarationError(`"${String(permission)}" is not a permission (domain:function:action)`, {
        permission: String(permission),
      });
    }
    if (seen.has(permission)) {
      throw declarationError(`${where} lists "${permission}" twice`, { permission });
    }
    seen.add(permission);
  }
  return [...seen];
}

const optionKeys = new Set(['resource', 'anyOf']);

function checkedOptions(options: object): RequirementOptions & { anyOf?: readonly string[] } {
  const unknown = Object.keys(options).filter((key) => !optionKeys.has(key));
  if (unknown.length > 0) {
    throw declarationError(`@RequirePermissions does not know the option(s) ${unknown.join(', ')}`);
  }
  const { resource, anyOf } = options as { resource?: unknown; anyOf?: unknown };
  if (resource !== undefined && typeof resource !== 'function') {
    throw declarationError('The resource of @RequirePermissions must be a function of the request');
  }
  if (anyOf !== undefined && !Array.isArray(anyOf)) {
    throw declarationError('anyOf of @RequirePermissions must be a list of permissions');
  }
  return options;
}

/** Builds the requirement of `@RequirePermissions(...)`; throws on any malformed declaration. */
export function permissionRequirement(
  args: ReadonlyArray<string | RequirementOptions | AnyOfRequirement>,
): Requirement {
  const listed = args.filter((arg) => typeof arg !== 'object' || arg === null);
  const objects = args.filter((arg): arg is object => typeof arg === 'object' && arg !== null);
  if (objects.length > 1) {
    throw declarationError('@RequirePermissions takes at most one options object');
  }
  const options = objects[0] === undefined ? {} : checkedOptions(objects[0]);
  if (options.anyOf !== undefined && listed.length > 0) {
    throw declarationError('@RequirePermissions takes either listed permissions (all) or anyOf, not both');
  }
  const any = options.anyOf !== undefined;
  const permissions = checkedPermissions(
    options.anyOf ?? listed,
    any ? '@RequirePermissions({ anyOf })' : '@RequirePermissions',
  );
  return {
    kind: 'permissions',
    permissions,
    match: any ? 'any' : 'all',
    ...(options.resource === undefined ? {} : { resource: options.resource }),
  };
}

/** Records the requirement, refusing a second declaration on the same handler or class. */
function declare(requirement: Requirement): RequirementDecorator {
  return (target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    const holder: unknown = descriptor === undefined ? target : descriptor.value;
    if (typeof holder !== 'function') {
      throw declarationError('A requirement is declared on a method or a class');
    }
    if (Reflect.hasOwnMetadata(REQUIREMENT, holder)) {
      const name = key === undefined ? holder.name : String(key);
      throw declarationError(`${name} declares more than one requirement`);
    }
    Reflect.defineMetadata(REQUIREMENT, requirement, holder);
  };
}

/**
 * The permissions a handler requires: all of them (`'a:b:c', 'd:e:f'`), or one of them
 * (`{ anyOf: [...] }`), optionally on the resource the request names:
 *
 *   @RequirePermissions('conversation:message:send', {
 *     resource: resourceFrom(conversationRequests.send, (request) => ({
 *       type: 'conversation', id: request.conversationId,
 *     })),
 *   })
 *
 * A malformed permission, an empty list or a second declaration throws when the class is defined.
 */
export function RequirePermissions(
  ...args: ReadonlyArray<string | RequirementOptions | AnyOfRequirement>
): RequirementDecorator {
  return declare(permissionRequirement(args));
}

/** Any verified actor may call the handler. */
export function AuthenticatedOnly(): RequirementDecorator {
  return declare({ kind: 'authenticated' });
}

/** No actor is needed (login, registration, public keys, health). */
export function Public(): RequirementDecorator {
  return declare({ kind: 'public' });
}

/** The requirement of a handler: its own, else its controller's. */
export function requirementOf(handler: object, controller: object): Requirement | undefined {
  return (
    (Reflect.getMetadata(REQUIREMENT, handler) as Requirement | undefined) ??
    (Reflect.getMetadata(REQUIREMENT, controller) as Requirement | undefined)
  );
}

/**
 * A resolver that parses the input with the request contract (or any schema) first, so it reads
 * exactly the validated value the handler will receive; a payload that fails the schema is
 * refused with the same `validation_failed` the contract check would give.
 */
export function resourceFrom<C extends RequestContract>(
  contract: C,
  pick: (request: ParsedRequestOf<C>) => ResourceInput | undefined,
): ResourceResolver;
export function resourceFrom<S extends z.ZodType>(
  schema: S,
  pick: (input: z.output<S>) => ResourceInput | undefined,
): ResourceResolver;
export function resourceFrom(
  source: RequestContract | z.ZodType,
  pick: (input: never) => ResourceInput | undefined,
): ResourceResolver {
  const schema = isContract(source) ? source.request : source;
  const choose = pick as (input: unknown) => ResourceInput | undefined;
  return (input) => {
    const parsed = schema.safeParse(input);
    if (!parsed.success) {
      throw validationError('request', parsed.error);
    }
    return choose(parsed.data);
  };
}

/** A resolver reading the resource id from one field of the request (`conversationId`). */
export function resourceField(type: ResourceType, idField: string): ResourceResolver {
  return (input) => {
    const id = input[idField];
    return typeof id === 'string' ? { type, id } : undefined;
  };
}

function isContract(source: RequestContract | z.ZodType): source is RequestContract {
  return (source as { kind?: unknown }).kind === 'request' && 'request' in source;
}
