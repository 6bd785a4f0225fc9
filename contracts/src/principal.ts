import { z } from 'zod';

export const userKinds = ['person', 'bot', 'service'] as const;
export type UserKind = (typeof userKinds)[number];

/** The verified caller of an operation, built from an access token and nothing else. */
export const principalSchema = z.object({
  userId: z.uuid(),
  tenantId: z.uuid(),
  sessionId: z.uuid(),
  kind: z.enum(userKinds),
});
export type Principal = z.infer<typeof principalSchema>;

/** Claim names of Parley access tokens (besides the registered iss, aud, sub, iat, exp, jti). */
export const accessTokenClaims = {
  tenantId: 'tenant_id',
  sessionId: 'sid',
  userKind: 'user_kind',
} as const;
