import { SetMetadata } from '@nestjs/common';
import { permissionPattern, type Permission, type Resource } from '@parley/contracts';

/** Finds the resource a requirement applies to in the request (payload, body and route params). */
export type ResourceResolver = (input: Record<string, unknown>) => Resource | undefined;

/** What a handler declares; a handler without a declaration is refused (zero requirements deny). */
export type Requirement =
  | { readonly kind: 'public' }
  | { readonly kind: 'authenticated' }
  | {
      readonly kind: 'permissions';
      readonly permissions: readonly Permission[];
      /** all: every permission is needed (the default); any: one of them is enough. */
      readonly match: 'all' | 'any';
      readonly resource?: ResourceResolver;
    };

export const REQUIREMENT = 'parley:requirement';

export interface RequirementOptions {
  resource?: ResourceResolver;
}

function checked(permissions: readonly string[]): Permission[] {
  if (permissions.length === 0) {
    throw new Error('@RequirePermissions needs at least one permission');
  }
  for (const permission of permissions) {
    if (!permissionPattern.test(permission)) {
      throw new Error(`"${permission}" is not a permission (domain:function:action)`);
    }
  }
  return [...permissions];
}

/**
 * The permissions a handler requires, all of them (`'a:b:c', 'd:e:f'`), or one of them
 * (`{ anyOf: [...] }`), optionally on the resource the request names.
 */
export function RequirePermissions(
  ...args: Array<string | RequirementOptions | ({ anyOf: string[] } & RequirementOptions)>
): MethodDecorator & ClassDecorator {
  const permissions = args.filter((arg): arg is string => typeof arg === 'string');
  const options = args.find(
    (arg): arg is RequirementOptions & { anyOf?: string[] } => typeof arg === 'object',
  );
  const anyOf = options?.anyOf;
  return SetMetadata<string, Requirement>(REQUIREMENT, {
    kind: 'permissions',
    permissions: checked(anyOf ?? permissions),
    match: anyOf ? 'any' : 'all',
    ...(options?.resource ? { resource: options.resource } : {}),
  });
}

/** Any verified actor may call the handler. */
export const AuthenticatedOnly = (): MethodDecorator & ClassDecorator =>
  SetMetadata<string, Requirement>(REQUIREMENT, { kind: 'authenticated' });

/** No actor is needed (login, registration, public keys). */
export const Public = (): MethodDecorator & ClassDecorator =>
  SetMetadata<string, Requirement>(REQUIREMENT, { kind: 'public' });
