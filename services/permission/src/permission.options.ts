/** The settings the permission service's providers need, taken from the validated configuration. */
export interface PermissionOptions {
  /** Slug of the platform tenant, whose first service account becomes the platform operator. */
  platformTenantSlug: string;
}

export const PERMISSION_OPTIONS = Symbol('PERMISSION_OPTIONS');

/** The time source of every evaluation; tests move it to exercise validity and time windows. */
export type Clock = () => Date;
export const CLOCK = Symbol('CLOCK');
