import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ParleyError } from '@parley/contracts';
import { accessTokenOf } from '@parley/permissions';

/**
 * The caller's own access token, for calls made on the caller's behalf (identity's user lookup
 * answers about the caller's tenant, so it must be asked with the caller's token).
 */
export const AccessToken = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const token = accessTokenOf(context);
  if (token === undefined) {
    throw new ParleyError('unauthenticated', 'An access token is required', { reason: 'missing' });
  }
  return token;
});
