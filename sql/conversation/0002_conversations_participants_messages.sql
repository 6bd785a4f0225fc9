-- Conversations, their participants, messages and reactions (docs/conversation.md).
-- What a participant may do is decided by assignments in the permission service (their standing);
-- the standing kept here is a copy for display, written in the same transaction that sets it there.

CREATE TYPE conversation.conversation_kind_enum AS ENUM ('direct', 'group');
COMMENT ON TYPE conversation.conversation_kind_enum IS
'direct: exactly two users, one conversation per pair; group: a titled conversation of any number of users.';

CREATE TYPE conversation.visibility_enum AS ENUM ('public', 'private', 'hidden');
COMMENT ON TYPE conversation.visibility_enum IS
'Who sees a group: public (listed, anyone may join), private (listed, participants are added), hidden (not listed).';

CREATE TYPE conversation.standing_enum AS ENUM ('owner', 'administrator', 'member', 'guest');
COMMENT ON TYPE conversation.standing_enum IS
'A participant''s standing: one conversation permission set assigned on the conversation (copy for display).';

CREATE TYPE conversation.message_status_enum AS ENUM ('published', 'pending', 'rejected');
COMMENT ON TYPE conversation.message_status_enum IS
'published: has its sequence number; pending: waits for a moderator; rejected: refused by one, never numbered.';

-- Conversations ---------------------------------------------------------------------------------
CREATE TABLE conversation.conversations (
  id uuid NOT NULL DEFAULT conversation.uuid_generate_v7(),
  tenant_id uuid NOT NULL,
  created_by_id uuid NOT NULL,
  lower_user_id uuid,
  higher_user_id uuid,
  kind conversation.conversation_kind_enum NOT NULL,
  title text,
  topic text,
  visibility conversation.visibility_enum NOT NULL,
  last_sequence bigint NOT NULL DEFAULT 0,
  participant_count integer NOT NULL DEFAULT 0,
  is_restricted boolean NOT NULL DEFAULT false,
  is_read_only boolean NOT NULL DEFAULT false,
  requires_approval boolean NOT NULL DEFAULT false,
  last_activity_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  CONSTRAINT pk_conversations PRIMARY KEY (id),
  CONSTRAINT ck_conversations_title_length CHECK (char_length(title) BETWEEN 1 AND 200),
  CONSTRAINT ck_conversations_topic_length CHECK (char_length(topic) BETWEEN 1 AND 1000),
  CONSTRAINT ck_conversations_last_sequence_non_negative CHECK (last_sequence >= 0),
  CONSTRAINT ck_conversations_participant_count_non_negative CHECK (participant_count >= 0),
  CONSTRAINT ck_conversations_kind_shape CHECK (
    (kind = 'direct' AND title IS NULL AND topic IS NULL AND visibility = 'private'
      AND lower_user_id IS NOT NULL AND higher_user_id IS NOT NULL AND lower_user_id < higher_user_id
      AND NOT is_restricted AND NOT requires_approval)
    OR (kind = 'group' AND title IS NOT NULL AND lower_user_id IS NULL AND higher_user_id IS NULL)
  )
);
-- One direct conversation per pair of users of a tenant; groups have no pair (NULLs never collide).
CREATE UNIQUE INDEX uq_conversations_tenant_id_lower_user_id_higher_user_id
  ON conversation.conversations (tenant_id, lower_user_id, higher_user_id);
-- Discovery: the listed groups of a tenant in title order.
CREATE INDEX idx_conversations_discoverable ON conversation.conversations (tenant_id, lower(title), id)
  WHERE kind = 'group' AND visibility <> 'hidden' AND deleted_at IS NULL;
CREATE TRIGGER trg_conversations_set_updated_at BEFORE UPDATE ON conversation.conversations
  FOR EACH ROW EXECUTE FUNCTION conversation.set_updated_at();
COMMENT ON TABLE conversation.conversations IS
'no-history: last_sequence and last_activity_at change with every message; changes of the title and the settings are published as conversation.updated events.
A direct conversation or a group of one tenant.';
COMMENT ON COLUMN conversation.conversations.created_by_id IS 'identity.users id of the user who created it.';
COMMENT ON COLUMN conversation.conversations.lower_user_id IS
'Direct conversations: identity.users id of the user with the lower id of the two; NULL for groups.';
COMMENT ON COLUMN conversation.conversations.higher_user_id IS
'Direct conversations: identity.users id of the user with the higher id of the two; NULL for groups.';
COMMENT ON COLUMN conversation.conversations.kind IS 'direct or group.';
COMMENT ON COLUMN conversation.conversations.title IS 'Title of a group; NULL for direct conversations.';
COMMENT ON COLUMN conversation.conversations.topic IS 'What a group is about; NULL when not set.';
COMMENT ON COLUMN conversation.conversations.visibility IS 'Who sees the group; always private for direct conversations.';
COMMENT ON COLUMN conversation.conversations.last_sequence IS
'Sequence number of the latest published message (0 before the first); incremented in the transaction that publishes one, so numbers have no gaps.';
COMMENT ON COLUMN conversation.conversations.participant_count IS
'Participants who have not left nor been removed (an ended membership counts until then).';
COMMENT ON COLUMN conversation.conversations.is_restricted IS
'Only holders of conversation:message:send-restricted (owners, administrators) post.';
COMMENT ON COLUMN conversation.conversations.is_read_only IS 'Nobody posts (a frozen or banned group); the history stays readable.';
COMMENT ON COLUMN conversation.conversations.requires_approval IS
'Messages of those who do not hold conversation:message:moderate wait for a moderator.';
COMMENT ON COLUMN conversation.conversations.last_activity_at IS
'When the latest message was published (or the conversation created): the order of the conversation list.';

-- Participants ----------------------------------------------------------------------------------
CREATE TABLE conversation.participants (
  conversation_id uuid NOT NULL,
  user_id uuid NOT NULL,
  tenant_id uuid NOT NULL,
  added_by_id uuid,
  standing conversation.standing_enum NOT NULL,
  last_read_sequence bigint NOT NULL DEFAULT 0,
  joined_at timestamptz NOT NULL DEFAULT now(),
  left_at timestamptz,
  expires_at timestamptz,
  mute_expires_at timestamptz,
  last_read_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_participants PRIMARY KEY (conversation_id, user_id),
  CONSTRAINT fk_participants_conversation FOREIGN KEY (conversation_id)
    REFERENCES conversation.conversations (id),
  CONSTRAINT ck_participants_last_read_sequence_non_negative CHECK (last_read_sequence >= 0)
);
-- "My conversations": the live memberships of a user.
CREATE INDEX idx_participants_tenant_id_user_id_live ON conversation.participants (tenant_id, user_id)
  WHERE left_at IS NULL;
CREATE TRIGGER trg_participants_set_updated_at BEFORE UPDATE ON conversation.participants
  FOR EACH ROW EXECUTE FUNCTION conversation.set_updated_at();
COMMENT ON TABLE conversation.participants IS
'no-history: read positions move with every read; joining, leaving and standing changes are published as participant events.
A user taking part in a conversation, now or earlier (left_at set); one row per user and conversation.';
COMMENT ON COLUMN conversation.participants.user_id IS 'identity.users id of the participant.';
COMMENT ON COLUMN conversation.participants.added_by_id IS
'identity.users id of who added the participant; NULL when they created or joined the conversation.';
COMMENT ON COLUMN conversation.participants.standing IS
'Copy, for display, of the standing assigned in the permission service, written in the same transaction.';
COMMENT ON COLUMN conversation.participants.last_read_sequence IS
'Sequence number up to which the participant has read (their read receipt); never moves back.';
COMMENT ON COLUMN conversation.participants.joined_at IS 'When the participant (last) joined or was added.';
COMMENT ON COLUMN conversation.participants.left_at IS 'When the participant left or was removed; NULL while taking part.';
COMMENT ON COLUMN conversation.participants.expires_at IS
'When the membership ends (enrollment-gated communities), also the valid until of the standing; NULL when it does not.';
COMMENT ON COLUMN conversation.participants.mute_expires_at IS 'Until when the participant muted the conversation; NULL when not muted.';
COMMENT ON COLUMN conversation.participants.last_read_at IS 'When the read position last moved.';

-- Messages --------------------------------------------------------------------------------------
CREATE TABLE conversation.messages (
  id uuid NOT NULL DEFAULT conversation.uuid_generate_v7(),
  conversation_id uuid NOT NULL,
  reply_to_id uuid,
  tenant_id uuid NOT NULL,
  sender_id uuid NOT NULL,
  deleted_by_id uuid,
  moderated_by_id uuid,
  sequence bigint,
  client_message_id text NOT NULL,
  body text NOT NULL,
  mentioned_user_id uuid[] NOT NULL DEFAULT '{}',
  attached_file_id uuid[] NOT NULL DEFAULT '{}',
  status conversation.message_status_enum NOT NULL,
  rejection_reason text,
  edited_at timestamptz,
  published_at timestamptz,
  moderated_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  CONSTRAINT pk_messages PRIMARY KEY (id),
  CONSTRAINT fk_messages_conversation FOREIGN KEY (conversation_id) REFERENCES conversation.conversations (id),
  CONSTRAINT fk_messages_reply_to FOREIGN KEY (reply_to_id) REFERENCES conversation.messages (id),
  CONSTRAINT ck_messages_client_message_id_length CHECK (char_length(client_message_id) BETWEEN 1 AND 64),
  CONSTRAINT ck_messages_body_length CHECK (char_length(body) BETWEEN 0 AND 16000),
  CONSTRAINT ck_messages_rejection_reason_length CHECK (char_length(rejection_reason) BETWEEN 1 AND 500),
  CONSTRAINT ck_messages_content CHECK (char_length(body) > 0 OR cardinality(attached_file_id) > 0),
  CONSTRAINT ck_messages_sequence_when_published CHECK ((status = 'published') = (sequence IS NOT NULL)),
  CONSTRAINT ck_messages_sequence_positive CHECK (sequence > 0)
);
-- History pages and catch-up read this, newest first or after a sequence number; it also keeps
-- sequence numbers unique per conversation (pending and rejected messages have none).
CREATE UNIQUE INDEX uq_messages_conversation_id_sequence ON conversation.messages (conversation_id, sequence DESC);
-- A retried send finds the first one here.
CREATE UNIQUE INDEX uq_messages_conversation_id_sender_id_client_message_id
  ON conversation.messages (conversation_id, sender_id, client_message_id);
-- Threads: the replies to a message in order.
CREATE INDEX idx_messages_reply_to_id_sequence ON conversation.messages (reply_to_id, sequence)
  WHERE reply_to_id IS NOT NULL;
-- The moderation queue of a group, oldest first.
CREATE INDEX idx_messages_conversation_id_id_pending ON conversation.messages (conversation_id, id)
  WHERE status = 'pending';
CREATE TRIGGER trg_messages_set_updated_at BEFORE UPDATE ON conversation.messages
  FOR EACH ROW EXECUTE FUNCTION conversation.set_updated_at();
COMMENT ON TABLE conversation.messages IS
'A message of a conversation: published with its sequence number, or waiting for or refused by a moderator.';
COMMENT ON COLUMN conversation.messages.sender_id IS 'identity.users id of the sender.';
COMMENT ON COLUMN conversation.messages.deleted_by_id IS 'identity.users id of who deleted the message.';
COMMENT ON COLUMN conversation.messages.moderated_by_id IS 'identity.users id of the moderator who approved or refused it.';
COMMENT ON COLUMN conversation.messages.sequence IS
'Position in the conversation, 1, 2, 3 … without gaps; NULL while pending and when rejected.';
COMMENT ON COLUMN conversation.messages.client_message_id IS
'Chosen by the sender''s client; a retried send with the same one returns this message.';
COMMENT ON COLUMN conversation.messages.body IS 'The text; empty only when files are attached. Kept after deletion, never shown.';
COMMENT ON COLUMN conversation.messages.mentioned_user_id IS 'identity.users ids of the mentioned participants.';
COMMENT ON COLUMN conversation.messages.attached_file_id IS 'file.files ids of the attached files.';
COMMENT ON COLUMN conversation.messages.status IS 'published, pending (waits for a moderator) or rejected.';
COMMENT ON COLUMN conversation.messages.rejection_reason IS 'Why a moderator refused it, for the sender.';
COMMENT ON COLUMN conversation.messages.edited_at IS 'When the text last changed.';
COMMENT ON COLUMN conversation.messages.published_at IS 'When it received its sequence number.';
COMMENT ON COLUMN conversation.messages.moderated_at IS 'When a moderator approved or refused it.';

CREATE TABLE conversation.messages_history (
  history_id uuid NOT NULL DEFAULT conversation.uuid_generate_v7(),
  history_operation text NOT NULL,
  history_changed_at timestamptz NOT NULL DEFAULT now(),
  LIKE conversation.messages,
  CONSTRAINT pk_messages_history PRIMARY KEY (history_id),
  CONSTRAINT ck_messages_history_operation CHECK (history_operation IN ('UPDATE', 'DELETE'))
);
CREATE INDEX idx_messages_history_id ON conversation.messages_history (id);
COMMENT ON TABLE conversation.messages_history IS
'append-only: Earlier versions of messages rows (edits, deletions, moderation), written by trg_messages_log_history.';
CREATE TRIGGER trg_messages_log_history AFTER UPDATE OR DELETE ON conversation.messages
  FOR EACH ROW EXECUTE FUNCTION conversation.log_history();

-- Reactions -------------------------------------------------------------------------------------
CREATE TABLE conversation.reactions (
  id uuid NOT NULL DEFAULT conversation.uuid_generate_v7(),
  message_id uuid NOT NULL,
  user_id uuid NOT NULL,
  emoji text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_reactions PRIMARY KEY (id),
  CONSTRAINT fk_reactions_message FOREIGN KEY (message_id) REFERENCES conversation.messages (id),
  CONSTRAINT uq_reactions_message_id_user_id_emoji UNIQUE (message_id, user_id, emoji),
  CONSTRAINT ck_reactions_emoji_length CHECK (char_length(emoji) BETWEEN 1 AND 64)
);
COMMENT ON TABLE conversation.reactions IS
'append-only: a reaction is added, or taken back by deleting it; it never changes.
One user''s reaction to a message with one emoji.';
COMMENT ON COLUMN conversation.reactions.user_id IS 'identity.users id of who reacted.';
COMMENT ON COLUMN conversation.reactions.emoji IS 'A Unicode emoji or a short code such as :tada:.';
