import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { defaultChannelChoice, type NotificationChannel, type PreferenceSource } from '@parley/contracts';
import type { QuietPeriod } from './quiet-hours.js';

/** What reaches a recipient for one type. */
export interface ChannelChoice {
  readonly inApp: boolean;
  readonly email: boolean;
}

/** A stored choice: a user's own (`user_id` set) or the tenant's default. */
export interface StoredChoice {
  user_id: string | null;
  type: string;
  channel: NotificationChannel;
  is_enabled: boolean;
}

interface StoredQuiet {
  user_id: string | null;
  start_minute: number;
  end_minute: number;
  time_zone: string;
}

/** A stored quiet period with where it comes from. */
export interface SourcedQuiet {
  readonly period: QuietPeriod;
  readonly source: Exclude<PreferenceSource, 'default'>;
}

const periodOfRow = (row: StoredQuiet): QuietPeriod => ({
  startMinute: row.start_minute,
  endMinute: row.end_minute,
  timeZone: row.time_zone,
});

/** Users' choices and quiet hours, and their tenants' defaults (`user_id` NULL). */
@Injectable()
export class PreferencesRepository {
  /**
   * For each recipient, whether a type reaches the inbox and email: the user's choice, else the
   * tenant's default, else the platform's. One query for any number of recipients.
   */
  async choicesFor(
    manager: EntityManager,
    tenantId: string,
    type: string,
    userIds: readonly string[],
  ): Promise<Map<string, ChannelChoice>> {
    const rows: StoredChoice[] = await manager.query(
      `SELECT user_id, type, channel, is_enabled FROM notification.preferences
       WHERE tenant_id = $1 AND type = $2 AND (user_id IS NULL OR user_id = ANY($3::uuid[]))`,
      [tenantId, type, userIds],
    );
    const pick = (userId: string, channel: NotificationChannel): boolean =>
      rows.find((row) => row.user_id === userId && row.channel === channel)?.is_enabled ??
      rows.find((row) => row.user_id === null && row.channel === channel)?.is_enabled ??
      defaultChannelChoice(type, channel);
    return new Map(
      userIds.map((userId) => [userId, { inApp: pick(userId, 'in_app'), email: pick(userId, 'email') }]),
    );
  }

  /** The quiet hours in force for each recipient: their own, else the tenant's; none when neither. */
  async quietPeriodsFor(
    manager: EntityManager,
    tenantId: string,
    userIds: readonly string[],
  ): Promise<Map<string, QuietPeriod>> {
    const rows: StoredQuiet[] = await manager.query(
      `SELECT user_id, start_minute, end_minute, time_zone FROM notification.quiet_hours
       WHERE tenant_id = $1 AND (user_id IS NULL OR user_id = ANY($2::uuid[]))`,
      [tenantId, userIds],
    );
    const tenantDefault = rows.find((row) => row.user_id === null);
    const periods = new Map<string, QuietPeriod>();
    for (const userId of userIds) {
      const row = rows.find((candidate) => candidate.user_id === userId) ?? tenantDefault;
      if (row !== undefined) {
        periods.set(userId, periodOfRow(row));
      }
    }
    return periods;
  }

  /** The stored choices of a user and of the tenant (userId null: the tenant's only). */
  storedChoices(manager: EntityManager, tenantId: string, userId: string | null): Promise<StoredChoice[]> {
    return manager.query(
      `SELECT user_id, type, channel, is_enabled FROM notification.preferences
       WHERE tenant_id = $1 AND (user_id IS NULL OR user_id = $2::uuid)
       ORDER BY type, channel`,
      [tenantId, userId],
    );
  }

  /** The quiet hours of the user, else the tenant's (userId null: the tenant's). */
  async storedQuiet(
    manager: EntityManager,
    tenantId: string,
    userId: string | null,
  ): Promise<SourcedQuiet | undefined> {
    const rows: StoredQuiet[] = await manager.query(
      `SELECT user_id, start_minute, end_minute, time_zone FROM notification.quiet_hours
       WHERE tenant_id = $1 AND (user_id IS NULL OR user_id = $2::uuid)
       ORDER BY user_id NULLS LAST`,
      [tenantId, userId],
    );
    const row = rows[0];
    return row === undefined
      ? undefined
      : { period: periodOfRow(row), source: row.user_id === null ? 'tenant' : 'user' };
  }

  async setChoice(
    manager: EntityManager,
    tenantId: string,
    userId: string | null,
    choice: { type: string; channel: NotificationChannel; isEnabled: boolean | null },
  ): Promise<void> {
    if (choice.isEnabled === null) {
      await manager.query(
        `DELETE FROM notification.preferences
         WHERE tenant_id = $1 AND user_id IS NOT DISTINCT FROM $2::uuid AND type = $3 AND channel = $4`,
        [tenantId, userId, choice.type, choice.channel],
      );
      return;
    }
    await manager.query(
      `INSERT INTO notification.preferences (tenant_id, user_id, type, channel, is_enabled)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant_id, user_id, type, channel) DO UPDATE SET is_enabled = EXCLUDED.is_enabled
       WHERE preferences.is_enabled <> EXCLUDED.is_enabled`,
      [tenantId, userId, choice.type, choice.channel, choice.isEnabled],
    );
  }

  async setQuiet(
    manager: EntityManager,
    tenantId: string,
    userId: string | null,
    period: QuietPeriod | null,
  ): Promise<void> {
    if (period === null) {
      await manager.query(
        `DELETE FROM notification.quiet_hours WHERE tenant_id = $1 AND user_id IS NOT DISTINCT FROM $2::uuid`,
        [tenantId, userId],
      );
      return;
    }
    await manager.query(
      `INSERT INTO notification.quiet_hours (tenant_id, user_id, start_minute, end_minute, time_zone)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant_id, user_id) DO UPDATE SET
         start_minute = EXCLUDED.start_minute, end_minute = EXCLUDED.end_minute, time_zone = EXCLUDED.time_zone`,
      [tenantId, userId, period.startMinute, period.endMinute, period.timeZone],
    );
  }
}
