import { Injectable } from '@nestjs/common';
import { identityRequests, ParleyError } from '@parley/contracts';
import { NatsRpcClient } from '@parley/nats';

/** identity.v1.user.get-many takes at most this many ids per request. */
const lookupBatch = 100;

/**
 * Checks with identity that users exist in the caller's tenant before they become participants.
 * Asked with the caller's own token: identity answers about the token's tenant only, so a user of
 * another tenant is as unknown as one that does not exist.
 */
@Injectable()
export class UserDirectory {
  constructor(private readonly rpc: NatsRpcClient) {}

  /** Throws `not_found` naming every id that is not a live user of the caller's tenant. */
  async requireUsers(userIds: readonly string[], token: string): Promise<void> {
    const found = new Set<string>();
    for (let start = 0; start < userIds.length; start += lookupBatch) {
      const { items } = await this.rpc.request(
        identityRequests.getUsers,
        { userIds: userIds.slice(start, start + lookupBatch) },
        { token },
      );
      for (const user of items) {
        if (user.status !== 'deleted') {
          found.add(user.id);
        }
      }
    }
    const missing = userIds.filter((userId) => !found.has(userId));
    if (missing.length > 0) {
      throw new ParleyError('not_found', `No such user in this tenant: ${missing.join(', ')}`, {
        userIds: missing,
      });
    }
  }
}
