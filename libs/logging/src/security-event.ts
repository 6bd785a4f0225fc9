/** What happened, to whom, and why: the audit trail of authentication and access decisions. */
export interface SecurityEvent {
  /** Stable kind, e.g. `login`, `access_token`, `refresh_token_reuse`, `access`. */
  type: string;
  outcome: 'denied' | 'failed' | 'succeeded';
  /** Short machine-friendly reason, e.g. `expired`, `invalid_password`. */
  reason: string;
  actorId?: string;
  tenantId?: string;
  /** Anything else worth keeping; secret-looking keys are redacted like in every log line. */
  [detail: string]: unknown;
}

/** The part of a pino (or nestjs-pino) logger this needs. */
export interface SecurityEventLogger {
  info(record: object, message: string): void;
  warn(record: object, message: string): void;
}

/**
 * Logs a security event as one structured line with `securityEvent: true`, so that alerts and
 * audits can select them. Denials and failures are warnings; successes are info.
 */
export function logSecurityEvent(logger: SecurityEventLogger, event: SecurityEvent): void {
  const { type, outcome, reason, ...details } = event;
  // The fixed fields come last so that no detail can overwrite them.
  const record = { ...details, securityEvent: true, type, outcome, reason };
  const message = `security event: ${type} ${outcome} (${reason})`;
  if (outcome === 'succeeded') {
    logger.info(record, message);
  } else {
    logger.warn(record, message);
  }
}
