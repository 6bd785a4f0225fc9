import {
  Inject,
  Injectable,
  RequestMethod,
  type INestApplicationContext,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { PATTERN_METADATA } from '@nestjs/microservices/constants.js';
import { GATEWAY_METADATA, MESSAGE_METADATA } from '@nestjs/websockets/constants.js';
import { createLogger } from '@parley/logging';
import { PERMISSIONS_SETTINGS, type PermissionsSettings } from './permissions.options.js';
import { requirementOf } from './requirement.js';

/** One handler of the application, as the audit names it. */
export interface HandlerDescription {
  /** `ProbeController.remove` */
  readonly handler: string;
  readonly transport: 'http' | 'rpc' | 'ws';
  /** `DELETE /probes/:id`, the request subject, or the Socket.IO event. */
  readonly route: string;
}

export interface RequirementReport {
  /** Every HTTP route, NATS request handler and gateway message found. */
  readonly handlers: readonly HandlerDescription[];
  /** Handlers without `@RequirePermissions`, `@AuthenticatedOnly` or `@Public`: refused at run time. */
  readonly undeclared: readonly HandlerDescription[];
  /** Permissions of the service's own domains that its catalog does not declare: nobody can hold them. */
  readonly outsideCatalog: ReadonlyArray<HandlerDescription & { readonly permission: string }>;
}

type Handler = (...args: unknown[]) => unknown;

/**
 * Finds every handler of the application and reports those that declare no requirement (they are
 * refused at run time; rule 4 of the permission conventions) and those that require a permission
 * of the service's own domains missing from its catalog. Logs the report at start-up; tests call
 * `auditRequirements(app)` to assert it is clean.
 */
@Injectable()
export class RequirementAudit implements OnApplicationBootstrap {
  private readonly logger = createLogger(RequirementAudit.name);
  private logged = false;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    @Inject(PERMISSIONS_SETTINGS) private readonly settings: PermissionsSettings,
  ) {}

  report(): RequirementReport {
    const handlers: HandlerDescription[] = [];
    const undeclared: HandlerDescription[] = [];
    const outsideCatalog: Array<HandlerDescription & { permission: string }> = [];
    const catalog = this.settings.catalog;
    const ownDomains = new Set(catalog?.domains.map((entry) => entry.domain));
    const declared = new Set(catalog?.permissions.map((entry) => entry.permission));
    const classes = [
      ...this.discovery.getControllers().map((wrapper) => wrapper.metatype),
      ...this.discovery
        .getProviders()
        .map((wrapper) => wrapper.metatype)
        .filter((metatype) => typeof metatype === 'function' && isGateway(metatype)),
    ];
    for (const metatype of new Set(classes)) {
      if (typeof metatype !== 'function') {
        continue;
      }
      const prototype = metatype.prototype as Record<string, unknown>;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const method = prototype[name] as Handler;
        const found = describe(metatype, name, method);
        if (found === undefined) {
          continue;
        }
        handlers.push(found);
        const requirement = requirementOf(method, metatype);
        if (requirement === undefined) {
          undeclared.push(found);
        } else if (requirement.kind === 'permissions') {
          for (const permission of requirement.permissions) {
            if (ownDomains.has(permission.split(':')[0] as string) && !declared.has(permission)) {
              outsideCatalog.push({ ...found, permission });
            }
          }
        }
      }
    }
    return { handlers, undeclared, outsideCatalog };
  }

  onApplicationBootstrap(): void {
    // A hybrid application may call bootstrap hooks more than once; one report is enough.
    if (this.logged) {
      return;
    }
    this.logged = true;
    const report = this.report();
    for (const handler of report.undeclared) {
      this.logger.warn(
        { ...handler },
        'Handler declares no requirement (@RequirePermissions, @AuthenticatedOnly or @Public): every call is refused',
      );
    }
    for (const entry of report.outsideCatalog) {
      this.logger.warn({ ...entry }, 'Handler requires a permission its service does not declare');
    }
    this.logger.info(
      {
        handlers: report.handlers.length,
        undeclared: report.undeclared.length,
        outsideCatalog: report.outsideCatalog.length,
      },
      'Handler requirements checked',
    );
  }
}

/** The report of an application's handlers (PermissionsModule must be imported). */
export function auditRequirements(app: INestApplicationContext): RequirementReport {
  return app.get(RequirementAudit).report();
}

function isGateway(metatype: object): boolean {
  return Reflect.getMetadata(GATEWAY_METADATA, metatype) === true;
}

function describe(metatype: { name: string }, name: string, method: Handler): HandlerDescription | undefined {
  const handler = `${metatype.name}.${name}`;
  const patterns: unknown = Reflect.getMetadata(PATTERN_METADATA, method);
  if (patterns !== undefined) {
    const list: unknown[] = Array.isArray(patterns) ? patterns : [patterns];
    return { handler, transport: 'rpc', route: list.map(patternText).join(', ') };
  }
  const message: unknown = Reflect.getMetadata(MESSAGE_METADATA, method);
  if (message !== undefined && isGateway(metatype)) {
    return { handler, transport: 'ws', route: patternText(message) };
  }
  const verb: unknown = Reflect.getMetadata(METHOD_METADATA, method);
  if (typeof verb === 'number') {
    const paths = [Reflect.getMetadata(PATH_METADATA, metatype), Reflect.getMetadata(PATH_METADATA, method)]
      .flatMap((path: unknown) => (Array.isArray(path) ? (path as unknown[]).slice(0, 1) : [path]))
      .filter((path): path is string => typeof path === 'string' && path !== '' && path !== '/')
      .map((path) => path.replace(/^\/+|\/+$/g, ''));
    return { handler, transport: 'http', route: `${RequestMethod[verb] ?? verb} /${paths.join('/')}` };
  }
  return undefined;
}

function patternText(pattern: unknown): string {
  return typeof pattern === 'string' ? pattern : JSON.stringify(pattern);
}
