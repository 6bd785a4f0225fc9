import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  ParleyError,
  permissionEvents,
  type CatalogDeclaration,
  type ParsedRequestOf,
  type permissionRequests,
  type Principal,
  type ResponseOf,
} from '@parley/contracts';
import { OutboxWriter } from '@parley/db';
import { AccessPolicy } from '../access.policy.js';
import { platformWideTenantId } from '../system-permission-sets.js';
import type { PermissionEntity } from './catalog.entity.js';
import { CatalogRepository } from './catalog.repository.js';

type Registration = ParsedRequestOf<typeof permissionRequests.registerCatalog>;
type Registered = ResponseOf<typeof permissionRequests.registerCatalog>;
type Catalog = ResponseOf<typeof permissionRequests.listCatalog>;

const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && [...a].sort().join() === [...b].sort().join();

@Injectable()
export class CatalogService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly catalog: CatalogRepository,
    private readonly outbox: OutboxWriter,
    private readonly policy: AccessPolicy,
  ) {}

  /**
   * Records what a service declares, idempotently. A domain belongs to the service that declared
   * it first; descriptions and resource types follow the latest declaration. Declaring gives
   * nobody anything, so nothing here asks who calls.
   */
  async register(declaration: Registration | CatalogDeclaration): Promise<Registered> {
    const domains = new Map(declaration.domains.map((entry) => [entry.domain, entry.description]));
    const outside = declaration.permissions
      .map((entry) => entry.permission)
      .filter((permission) => !domains.has(permission.split(':')[0] as string));
    if (outside.length > 0) {
      throw new ParleyError('validation_failed', 'Permissions must belong to a domain of the declaration', {
        field: 'permissions',
        permissions: outside,
      });
    }
    const names = declaration.permissions.map((entry) => entry.permission);
    const twice = names.filter((permission, index) => names.indexOf(permission) !== index);
    if (twice.length > 0) {
      throw new ParleyError('validation_failed', 'A permission is declared twice', {
        field: 'permissions',
        permissions: [...new Set(twice)],
      });
    }
    return this.dataSource.transaction(async (manager) => {
      await this.catalog.lock(manager);
      const known = new Map(
        (await this.catalog.findDomains(manager, [...domains.keys()])).map((entry) => [entry.domain, entry]),
      );
      const foreign = [...known.values()].filter((entry) => entry.service !== declaration.service);
      if (foreign.length > 0) {
        throw new ParleyError('conflict', 'A permission domain belongs to another service', {
          domains: foreign.map((entry) => ({ domain: entry.domain, service: entry.service })),
        });
      }
      let changed = 0;
      for (const [domain, description] of domains) {
        if (known.get(domain)?.description !== description) {
          await this.catalog.saveDomain(manager, { domain, service: declaration.service, description });
          changed += 1;
        }
      }
      const existing = new Map(
        (
          await this.catalog.findPermissions(
            manager,
            declaration.permissions.map((entry) => entry.permission),
          )
        ).map((entry) => [entry.permission, entry]),
      );
      const added: string[] = [];
      let unchanged = 0;
      for (const entry of declaration.permissions) {
        const current = existing.get(entry.permission);
        const resourceTypes = [...new Set(entry.resourceTypes)].sort();
        if (current?.description === entry.description && sameSet(current.resourceTypes, resourceTypes)) {
          unchanged += 1;
          continue;
        }
        await this.catalog.savePermission(manager, {
          permission: entry.permission,
          domain: entry.permission.split(':')[0] as string,
          service: declaration.service,
          description: entry.description,
          resourceTypes,
        });
        if (current === undefined) {
          added.push(entry.permission);
        } else {
          changed += 1;
        }
      }
      if (added.length > 0 || changed > 0) {
        await this.outbox.append(manager, permissionEvents.catalogChanged, platformWideTenantId, {
          service: declaration.service,
          added,
        });
      }
      return { added, unchanged };
    });
  }

  async list(actor: Principal): Promise<Catalog> {
    await this.policy.require(actor, 'permission:catalog:list');
    const manager = this.dataSource.manager;
    const [domains, permissions] = await Promise.all([
      this.catalog.listDomains(manager),
      this.catalog.listPermissions(manager),
    ]);
    return {
      domains: domains.map((entry) => ({ domain: entry.domain, description: entry.description })),
      permissions: permissions.map((entry) => ({
        permission: entry.permission,
        description: entry.description,
        resourceTypes: entry.resourceTypes,
        domain: entry.domain,
        service: entry.service,
      })),
    };
  }

  /** The catalog entries of the permissions; `not_found` naming those the catalog does not have. */
  async requireKnown(
    manager: EntityManager,
    permissions: readonly string[],
  ): Promise<Map<string, PermissionEntity>> {
    const found = new Map(
      (await this.catalog.findPermissions(manager, permissions)).map((entry) => [entry.permission, entry]),
    );
    const unknown = [...new Set(permissions)].filter((permission) => !found.has(permission));
    if (unknown.length > 0) {
      throw new ParleyError(
        'not_found',
        `Unknown permission${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`,
        {
          permissions: unknown,
        },
      );
    }
    return found;
  }
}
