import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  builtInNotificationTypes,
  defaultChannelChoice,
  notificationChannels,
  preferenceChangeSchema,
  type PreferencesView,
  type Principal,
  type TenantPreferences,
} from '@parley/contracts';
import type { z } from 'zod';
import { checkLimit } from '../shared/limits.js';
import { PreferencesRepository } from './preferences.repository.js';
import { hoursOf, periodOf } from './quiet-hours.js';

type Change = z.output<typeof preferenceChangeSchema>;

/**
 * A user's notification preferences and the tenant's defaults. A choice is per type and channel;
 * what a user did not choose follows the tenant's default, and what the tenant did not choose the
 * platform's (`defaultChannelChoice`). Quiet hours: the user's own, else the tenant's.
 */
@Injectable()
export class PreferencesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly preferences: PreferencesRepository,
  ) {}

  get(actor: Principal): Promise<PreferencesView> {
    return this.view(this.dataSource.manager, actor.tenantId, actor.userId);
  }

  set(actor: Principal, change: Change): Promise<PreferencesView> {
    return this.dataSource.transaction(async (manager) => {
      await this.apply(manager, actor.tenantId, actor.userId, change);
      return this.view(manager, actor.tenantId, actor.userId);
    });
  }

  getTenant(actor: Principal): Promise<TenantPreferences> {
    return this.tenantView(this.dataSource.manager, actor.tenantId);
  }

  setTenant(actor: Principal, change: Change): Promise<TenantPreferences> {
    return this.dataSource.transaction(async (manager) => {
      await this.apply(manager, actor.tenantId, null, change);
      return this.tenantView(manager, actor.tenantId);
    });
  }

  private async apply(
    manager: EntityManager,
    tenantId: string,
    userId: string | null,
    change: Change,
  ): Promise<void> {
    checkLimit('preference_items', change.items.length);
    for (const item of change.items) {
      await this.preferences.setChoice(manager, tenantId, userId, item);
    }
    if (change.quietHours !== undefined) {
      await this.preferences.setQuiet(
        manager,
        tenantId,
        userId,
        change.quietHours === null ? null : periodOf(change.quietHours),
      );
    }
  }

  /** Every built-in type and every type someone chose about, on both channels, with its source. */
  private async view(manager: EntityManager, tenantId: string, userId: string): Promise<PreferencesView> {
    const stored = await this.preferences.storedChoices(manager, tenantId, userId);
    const types = [...new Set([...builtInNotificationTypes, ...stored.map((row) => row.type)])];
    const items = types.flatMap((type) =>
      notificationChannels.map((channel) => {
        const own = stored.find(
          (row) => row.user_id === userId && row.type === type && row.channel === channel,
        );
        const tenant = stored.find(
          (row) => row.user_id === null && row.type === type && row.channel === channel,
        );
        const chosen = own ?? tenant;
        return {
          type,
          channel,
          isEnabled: chosen?.is_enabled ?? defaultChannelChoice(type, channel),
          source:
            own !== undefined
              ? ('user' as const)
              : tenant !== undefined
                ? ('tenant' as const)
                : ('default' as const),
        };
      }),
    );
    const quiet = await this.preferences.storedQuiet(manager, tenantId, userId);
    return {
      items,
      quietHours: quiet === undefined ? null : hoursOf(quiet.period),
      quietHoursSource: quiet?.source ?? 'default',
    };
  }

  private async tenantView(manager: EntityManager, tenantId: string): Promise<TenantPreferences> {
    const stored = await this.preferences.storedChoices(manager, tenantId, null);
    const quiet = await this.preferences.storedQuiet(manager, tenantId, null);
    return {
      items: stored.map((row) => ({ type: row.type, channel: row.channel, isEnabled: row.is_enabled })),
      quietHours: quiet === undefined ? null : hoursOf(quiet.period),
    };
  }
}
