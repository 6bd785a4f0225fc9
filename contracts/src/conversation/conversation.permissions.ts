import { defineCatalog } from '../permission/catalog-declaration.js';

/**
 * The permissions the conversation service's operations require. The descriptions match the seed
 * of the permission service (sql/permission/0002 and 0003), so registering them changes nothing.
 */
export const conversationCatalog = defineCatalog({
  service: 'conversation',
  domains: [{ domain: 'conversation', description: 'Conversations, their participants and messages' }],
  permissions: [
    {
      permission: 'conversation:message:send',
      description: 'Send messages in a conversation',
      resourceTypes: ['conversation'],
    },
    {
      permission: 'conversation:message:read',
      description: 'Read the messages of a conversation',
      resourceTypes: ['conversation'],
    },
    {
      permission: 'conversation:message:delete-any',
      description: "Delete any participant's messages in a conversation",
      resourceTypes: ['conversation'],
    },
    {
      permission: 'conversation:message:moderate',
      description: 'Hide, flag and restore messages in a conversation',
      resourceTypes: ['conversation'],
    },
    {
      permission: 'conversation:message:send-restricted',
      description: 'Send messages in a restricted group (beside conversation:message:send)',
      resourceTypes: ['conversation'],
    },
    {
      permission: 'conversation:message:react',
      description: 'React to messages in a conversation',
      resourceTypes: ['conversation'],
    },
    {
      permission: 'conversation:participant:add',
      description: 'Add participants to a conversation',
      resourceTypes: ['conversation'],
    },
    {
      permission: 'conversation:participant:remove',
      description: 'Remove participants from a conversation',
      resourceTypes: ['conversation'],
    },
    {
      permission: 'conversation:conversation:update',
      description: 'Change the title and settings of a conversation',
      resourceTypes: ['conversation'],
    },
    {
      permission: 'conversation:conversation:create',
      description: 'Start direct conversations and create groups in the tenant',
      resourceTypes: [],
    },
    {
      permission: 'conversation:conversation:join',
      description: 'Join public groups of the tenant',
      resourceTypes: ['conversation'],
    },
  ],
});

/** A permission of the conversation service's catalog. */
export type ConversationPermission = (typeof conversationCatalog.permissions)[number]['permission'];
