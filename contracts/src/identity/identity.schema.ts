import { z } from 'zod';
import { displayText, emailSchema, idSchema, slugSchema, timestampSchema } from '../common.js';
import { userKinds } from '../principal.js';

export const passwordSchema = z
  .string()
  .min(10, 'A password has at least 10 characters')
  .max(256, 'A password has at most 256 characters')
  .describe('Password (never logged, never stored in clear)');

export const tenantStatuses = ['active', 'suspended'] as const;
export const userStatuses = ['active', 'suspended', 'deleted'] as const;
export const sessionRevocationReasons = ['logout', 'reuse_detected', 'revoked', 'user_suspended'] as const;

export const tenantSchema = z.object({
  id: idSchema,
  parentTenantId: idSchema.nullable(),
  slug: slugSchema,
  name: z.string(),
  status: z.enum(tenantStatuses),
  allowsSelfRegistration: z.boolean(),
  createdAt: timestampSchema,
});
export type Tenant = z.infer<typeof tenantSchema>;

export const userSchema = z.object({
  id: idSchema,
  tenantId: idSchema,
  kind: z.enum(userKinds),
  email: z.string(),
  fullName: z.string(),
  designation: z.string().nullable(),
  status: z.enum(userStatuses),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});
export type User = z.infer<typeof userSchema>;

export const tokenPairSchema = z.object({
  tokenType: z.literal('Bearer'),
  accessToken: z.string(),
  accessTokenExpiresAt: timestampSchema,
  refreshToken: z.string().describe('Single use: each refresh returns a new one'),
  refreshTokenExpiresAt: timestampSchema,
  sessionId: idSchema,
  user: userSchema,
});
export type TokenPair = z.infer<typeof tokenPairSchema>;

export const sessionSchema = z.object({
  id: idSchema,
  userId: idSchema,
  userAgent: z.string().nullable(),
  createdAt: timestampSchema,
  lastRefreshedAt: timestampSchema.nullable(),
  expiresAt: timestampSchema,
  revokedAt: timestampSchema.nullable(),
  revocationReason: z.enum(sessionRevocationReasons).nullable(),
  isCurrent: z.boolean(),
});
export type Session = z.infer<typeof sessionSchema>;

export const jwkSchema = z
  .object({ kty: z.string(), kid: z.string(), alg: z.string(), use: z.string() })
  .loose()
  .describe('A public JSON Web Key (RFC 7517); RSA keys carry n and e, Ed25519 keys crv and x');
export const jwksSchema = z.object({ keys: z.array(jwkSchema) });

export const fullNameSchema = displayText(200);
export const designationSchema = displayText(120);
export const userAgentSchema = z.string().max(512).optional();

export const loginRequestSchema = z.object({
  tenant: slugSchema.describe('The tenant (institution) slug'),
  email: emailSchema,
  password: z.string().min(1).max(256),
  userAgent: userAgentSchema,
});

export const refreshRequestSchema = z.object({
  refreshToken: z.string().min(1).max(512),
  userAgent: userAgentSchema,
});

export const selfRegistrationRequestSchema = z.object({
  tenant: slugSchema,
  email: emailSchema,
  password: passwordSchema,
  fullName: fullNameSchema,
  designation: designationSchema.optional(),
});
