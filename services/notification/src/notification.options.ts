/** How the service reaches its SMTP server. */
export interface SmtpSettings {
  host: string;
  port: number;
  /** TLS from the start rather than STARTTLS. */
  secure: boolean;
  user: string | undefined;
  password: string | undefined;
  /** Connect, greeting and socket timeout. */
  timeoutMs: number;
}

/** The email channel; absent when no SMTP server is configured. */
export interface EmailOptions {
  smtp: SmtpSettings;
  /** The From header. */
  from: string;
  /** Where an email's link points; none when undefined. */
  appUrl: string | undefined;
  /** How long the first pending email of a user waits for others to join it. */
  digestWindowMs: number;
  maxAttempts: number;
  retryInitialMs: number;
  retryMaxMs: number;
  pollIntervalMs: number;
}

/** The settings the notification service's providers need, from the validated configuration. */
export interface NotificationOptions {
  /** Slug of the platform tenant, the only one system alerts are sent from. */
  platformTenantSlug: string;
  /** Older events update the copies but notify nobody. */
  eventMaxAgeMs: number;
  /** How long message senders are remembered. */
  senderRetentionMs: number;
  /** Read and dismissed notifications older than this are deleted. */
  notificationRetentionMs: number;
  broadcastBatchSize: number;
  broadcastPollIntervalMs: number;
  email: EmailOptions | undefined;
}

export const NOTIFICATION_OPTIONS = Symbol('NOTIFICATION_OPTIONS');

/** The time every decision uses (mutes, quiet hours, due deliveries); tests move it. */
export type Clock = () => Date;
export const CLOCK = Symbol('CLOCK');
