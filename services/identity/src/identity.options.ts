import type { SigningAlgorithm } from './keys/signing-key.entity.js';

/** The settings identity's services need, taken from the validated configuration at boot. */
export interface IdentityOptions {
  issuer: string;
  audience: string;
  accessTokenTtlMs: number;
  sessionTtlMs: number;
  /** How long one key signs before the next one takes over. */
  keyLifetimeMs: number;
  /** How early a new key appears in the JWKS before it signs anything. */
  keyPublishLeadMs: number;
  keyEncryptionSecret: string;
  signingAlgorithm: SigningAlgorithm;
  login: {
    /** Failed attempts before an email is locked. */
    maxFailures: number;
    lockBaseMs: number;
    lockMaxMs: number;
  };
  platformTenantSlug: string;
}

export const IDENTITY_OPTIONS = Symbol('IDENTITY_OPTIONS');

/** The time source; tests move it to exercise expiry and rotation. */
export type Clock = () => Date;
export const CLOCK = Symbol('CLOCK');
