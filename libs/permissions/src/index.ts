/**
 * @parley/permissions: what every service uses to enforce requirements.
 *
 * - Declare on every handler: `@RequirePermissions(...)`, `@AuthenticatedOnly()` or `@Public()`.
 * - Import `PermissionsModule.forRoot({ service, catalog })` once (beside AuthModule and NatsModule)
 *   and connect the NATS microservice with `connectGuardedMicroservice(app, …)`: PermissionGuard
 *   then runs on every handler, and a handler without a declaration is refused.
 * - Inside a service, once a resource is loaded: `PermissionChecker.require(actor, permission, resource)`.
 */
export {
  CompiledPermissions,
  type CheckedResource,
  type Evaluation,
  type EvaluationReason,
} from './ability.js';
export {
  ABILITY_CACHE_OPTIONS,
  AbilityCache,
  defaultAbilityMaxEntries,
  defaultAbilityTtlMs,
  maxAbilityTtlMs,
  type AbilityCacheCounters,
  type AbilityCacheOptions,
} from './ability.cache.js';
export { accessTokenOf, attachAccessToken } from './access-token.js';
export { CatalogRegistration } from './catalog-registration.service.js';
export {
  PermissionChecker,
  type CheckOptions,
  type DeclaredRequirement,
  type PermissionRequirement,
} from './permission.checker.js';
export { PermissionGuard } from './permission.guard.js';
export { connectGuardedMicroservice, PermissionsModule } from './permissions.module.js';
export type {
  CatalogContent,
  CatalogRegistrationOptions,
  PermissionsModuleOptions,
} from './permissions.options.js';
export {
  AuthenticatedOnly,
  Public,
  REQUIREMENT,
  RequirePermissions,
  requirementOf,
  resourceField,
  resourceFrom,
  type AnyOfRequirement,
  type Requirement,
  type RequirementInput,
  type RequirementOptions,
  type ResourceInput,
  type ResourceResolver,
} from './requirement.js';
export {
  auditRequirements,
  RequirementAudit,
  type HandlerDescription,
  type RequirementReport,
} from './requirement-audit.service.js';
export {
  serviceAccountVariables,
  ServiceAccountSession,
  type AccessTokenSource,
  type ServiceAccountCredentials,
  type ServiceAccountSessionOptions,
} from './service-account.js';
export { startGuardedService, type GuardedServiceSettings } from './guarded-service.js';
export * from './service-account/setup.js';
