-- Notifications, unread counters, preferences, email deliveries, broadcasts, and the local copies
-- of other services' data the notification service decides from (docs/notification.md). The copies
-- are written only by consumers of identity's and the conversation service's events.

CREATE TYPE notification.user_kind_enum AS ENUM ('person', 'bot', 'service');
COMMENT ON TYPE notification.user_kind_enum IS 'Kind of a user, as identity reports it (person, bot, service account).';

CREATE TYPE notification.user_status_enum AS ENUM ('active', 'suspended', 'deleted');
COMMENT ON TYPE notification.user_status_enum IS 'Status of a user, as identity reports it; only active users are notified.';

CREATE TYPE notification.conversation_kind_enum AS ENUM ('direct', 'group');
COMMENT ON TYPE notification.conversation_kind_enum IS 'Kind of a conversation, as the conversation service reports it.';

CREATE TYPE notification.notification_priority_enum AS ENUM ('low', 'normal', 'high', 'urgent');
COMMENT ON TYPE notification.notification_priority_enum IS
'How much a notification asks for attention; urgent ones are emailed at once, quiet hours or not.';

CREATE TYPE notification.notification_status_enum AS ENUM ('new', 'read', 'dismissed');
COMMENT ON TYPE notification.notification_status_enum IS
'new (unread), read, dismissed (removed from the inbox). Only new notifications are counted.';

CREATE TYPE notification.notification_channel_enum AS ENUM ('in_app', 'email');
COMMENT ON TYPE notification.notification_channel_enum IS 'Where a notification reaches its recipient: the inbox (and realtime), or email.';

CREATE TYPE notification.delivery_status_enum AS ENUM ('pending', 'sent', 'skipped', 'dead_lettered');
COMMENT ON TYPE notification.delivery_status_enum IS
'pending: waits for its next attempt; sent; skipped: not needed any more (read first, recipient gone); dead_lettered: the last attempt failed.';

CREATE TYPE notification.broadcast_kind_enum AS ENUM ('broadcast', 'alert');
COMMENT ON TYPE notification.broadcast_kind_enum IS 'broadcast: a tenant speaks to its users; alert: a platform operator speaks to users of several tenants.';

CREATE TYPE notification.broadcast_status_enum AS ENUM ('pending', 'running', 'completed');
COMMENT ON TYPE notification.broadcast_status_enum IS 'Progress of a fan-out job; a running job resumes from its cursor.';

-- Copies of identity's tenants and users --------------------------------------------------------
CREATE TABLE notification.tenants (
  tenant_id uuid NOT NULL,
  slug text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_tenants PRIMARY KEY (tenant_id),
  CONSTRAINT ck_tenants_slug_length CHECK (char_length(slug) BETWEEN 2 AND 63)
);
CREATE UNIQUE INDEX uq_tenants_slug ON notification.tenants (slug);
COMMENT ON TABLE notification.tenants IS
'append-only: written once per identity tenant.created event; identity never changes a slug.
natural-key: the tenant id identity assigned; this service never creates tenants.
The tenants identity announced: every tenant a system alert can reach.';
COMMENT ON COLUMN notification.tenants.slug IS 'The tenant''s slug in identity (the platform tenant is recognised by it).';

CREATE TABLE notification.users (
  user_id uuid NOT NULL,
  tenant_id uuid NOT NULL,
  kind notification.user_kind_enum NOT NULL,
  status notification.user_status_enum NOT NULL,
  email text NOT NULL,
  full_name text NOT NULL,
  identity_updated_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_users PRIMARY KEY (user_id),
  CONSTRAINT ck_users_email_length CHECK (char_length(email) BETWEEN 3 AND 254),
  CONSTRAINT ck_users_full_name_length CHECK (char_length(full_name) BETWEEN 1 AND 200)
);
-- Broadcast fan-out: the reachable users of a tenant in id order (keyset batches).
CREATE INDEX idx_users_tenant_id_user_id_reachable ON notification.users (tenant_id, user_id)
  WHERE status = 'active' AND kind <> 'service';
CREATE TRIGGER trg_users_set_updated_at BEFORE UPDATE ON notification.users
  FOR EACH ROW EXECUTE FUNCTION notification.set_updated_at();
COMMENT ON TABLE notification.users IS
'no-history: a copy of identity''s users, whose history identity keeps.
natural-key: the user id identity assigned; this service never creates users.
The users this service notifies, as identity''s user events describe them: where to email, who a broadcast reaches.';
COMMENT ON COLUMN notification.users.user_id IS 'identity.users id.';
COMMENT ON COLUMN notification.users.kind IS 'person, bot or service; service accounts receive no broadcasts.';
COMMENT ON COLUMN notification.users.status IS 'active, suspended or deleted in identity; only active users are notified.';
COMMENT ON COLUMN notification.users.email IS 'Where email notifications go.';
COMMENT ON COLUMN notification.users.full_name IS 'How emails address the user.';
COMMENT ON COLUMN notification.users.identity_updated_at IS
'identity''s updatedAt of the copied version: an older event arriving late never overwrites a newer one.';

-- Copies of the conversation service's conversations, participants and message senders ----------
CREATE TABLE notification.conversations (
  conversation_id uuid NOT NULL,
  tenant_id uuid NOT NULL,
  kind notification.conversation_kind_enum NOT NULL,
  title text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  CONSTRAINT pk_conversations PRIMARY KEY (conversation_id),
  CONSTRAINT ck_conversations_title_length CHECK (char_length(title) BETWEEN 1 AND 200)
);
CREATE TRIGGER trg_conversations_set_updated_at BEFORE UPDATE ON notification.conversations
  FOR EACH ROW EXECUTE FUNCTION notification.set_updated_at();
COMMENT ON TABLE notification.conversations IS
'no-history: a copy of the conversation service''s conversations, which publishes their changes.
natural-key: the conversation id the conversation service assigned.
Conversations as their events describe them: what notifications name.';
COMMENT ON COLUMN notification.conversations.conversation_id IS 'conversation.conversations id.';
COMMENT ON COLUMN notification.conversations.kind IS 'direct or group.';
COMMENT ON COLUMN notification.conversations.title IS 'Title of a group; NULL for direct conversations.';

CREATE TABLE notification.conversation_participants (
  conversation_id uuid NOT NULL,
  user_id uuid NOT NULL,
  tenant_id uuid NOT NULL,
  mute_expires_at timestamptz,
  membership_expires_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_conversation_participants PRIMARY KEY (conversation_id, user_id)
);
CREATE TRIGGER trg_conversation_participants_set_updated_at BEFORE UPDATE ON notification.conversation_participants
  FOR EACH ROW EXECUTE FUNCTION notification.set_updated_at();
COMMENT ON TABLE notification.conversation_participants IS
'no-history: a copy of the conversation service''s participants; rows leave when the participant does.
Who takes part in a conversation now, as participant events describe it: who a message notifies.';
COMMENT ON COLUMN notification.conversation_participants.conversation_id IS 'conversation.conversations id.';
COMMENT ON COLUMN notification.conversation_participants.user_id IS 'identity.users id of the participant.';
COMMENT ON COLUMN notification.conversation_participants.mute_expires_at IS
'Until when the participant muted the conversation; NULL when not muted.';
COMMENT ON COLUMN notification.conversation_participants.membership_expires_at IS
'When the membership ends; after it the participant is no longer notified. NULL when it does not end.';

CREATE TABLE notification.message_senders (
  message_id uuid NOT NULL,
  tenant_id uuid NOT NULL,
  conversation_id uuid NOT NULL,
  sender_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_message_senders PRIMARY KEY (message_id)
);
CREATE INDEX idx_message_senders_created_at ON notification.message_senders (created_at);
COMMENT ON TABLE notification.message_senders IS
'append-only: one row per published message, pruned by age.
natural-key: the message id the conversation service assigned, which reply and reaction events name.
Who sent a message: whom a reply or a reaction notifies.';
COMMENT ON COLUMN notification.message_senders.message_id IS 'conversation.messages id.';
COMMENT ON COLUMN notification.message_senders.conversation_id IS 'conversation.conversations id.';
COMMENT ON COLUMN notification.message_senders.sender_id IS 'identity.users id of the sender.';

-- Notifications and unread counters -------------------------------------------------------------
CREATE TABLE notification.notifications (
  id uuid NOT NULL DEFAULT notification.uuid_generate_v7(),
  tenant_id uuid NOT NULL,
  recipient_id uuid NOT NULL,
  actor_id uuid,
  type text NOT NULL,
  title text NOT NULL,
  body text NOT NULL,
  data jsonb NOT NULL DEFAULT '{}'::jsonb,
  priority notification.notification_priority_enum NOT NULL,
  status notification.notification_status_enum NOT NULL DEFAULT 'new',
  source_id text NOT NULL,
  is_listed boolean NOT NULL,
  read_at timestamptz,
  dismissed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_notifications PRIMARY KEY (id),
  CONSTRAINT ck_notifications_type_length CHECK (char_length(type) BETWEEN 2 AND 63),
  CONSTRAINT ck_notifications_type_snake_case CHECK (type ~ '^[a-z][a-z0-9]*(_[a-z0-9]+)*$'),
  CONSTRAINT ck_notifications_title_length CHECK (char_length(title) BETWEEN 1 AND 200),
  CONSTRAINT ck_notifications_body_length CHECK (char_length(body) BETWEEN 1 AND 2000),
  CONSTRAINT ck_notifications_source_id_length CHECK (char_length(source_id) BETWEEN 1 AND 255),
  CONSTRAINT ck_notifications_data_object CHECK (jsonb_typeof(data) = 'object'),
  CONSTRAINT ck_notifications_status_times CHECK (
    (status = 'new' AND read_at IS NULL AND dismissed_at IS NULL)
    OR (status = 'read' AND read_at IS NOT NULL AND dismissed_at IS NULL)
    OR (status = 'dismissed' AND dismissed_at IS NOT NULL)
  )
);
-- One source (event, request, broadcast) never makes two notifications for the same recipient.
CREATE UNIQUE INDEX uq_notifications_recipient_id_source_id ON notification.notifications (recipient_id, source_id);
-- The inbox, newest first.
CREATE INDEX idx_notifications_recipient_id_id_listed ON notification.notifications (recipient_id, id DESC)
  WHERE is_listed;
-- The unread part of the inbox (mark all read, the unread filter).
CREATE INDEX idx_notifications_recipient_id_id_unread ON notification.notifications (recipient_id, id DESC)
  WHERE is_listed AND status = 'new';
CREATE TRIGGER trg_notifications_set_updated_at BEFORE UPDATE ON notification.notifications
  FOR EACH ROW EXECUTE FUNCTION notification.set_updated_at();
COMMENT ON TABLE notification.notifications IS
'no-history: many rows per event or broadcast; a change of status is kept in read_at and dismissed_at.
A notification for one user: what happened, for whom, and whether it was read or dismissed.';
COMMENT ON COLUMN notification.notifications.recipient_id IS 'identity.users id of the user it is for.';
COMMENT ON COLUMN notification.notifications.actor_id IS
'identity.users id of who caused it (sender, reactor, moderator, integration, broadcaster); NULL for the platform.';
COMMENT ON COLUMN notification.notifications.type IS
'What it is about: a built-in type (message, mention, …) or one an integration chose, snake_case.';
COMMENT ON COLUMN notification.notifications.title IS 'One line shown in lists and as the email subject.';
COMMENT ON COLUMN notification.notifications.body IS 'The text shown below the title.';
COMMENT ON COLUMN notification.notifications.data IS
'A JSON object of what a client needs to open the subject (conversation, message, file ids…), at most 4 KiB.';
COMMENT ON COLUMN notification.notifications.priority IS 'low, normal, high or urgent.';
COMMENT ON COLUMN notification.notifications.status IS 'new, read or dismissed.';
COMMENT ON COLUMN notification.notifications.source_id IS
'What caused it: <stream>:<event id>, request:<caller>:<idempotency key> or broadcast:<job id>; unique per recipient.';
COMMENT ON COLUMN notification.notifications.is_listed IS
'In the recipient''s inbox: false when the recipient turned the inbox off for the type but wants the email.';
COMMENT ON COLUMN notification.notifications.read_at IS 'When the recipient read it.';
COMMENT ON COLUMN notification.notifications.dismissed_at IS 'When the recipient dismissed it.';

CREATE TABLE notification.inboxes (
  recipient_id uuid NOT NULL,
  tenant_id uuid NOT NULL,
  unread_count integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_inboxes PRIMARY KEY (recipient_id),
  CONSTRAINT ck_inboxes_unread_count_non_negative CHECK (unread_count >= 0)
);
CREATE TRIGGER trg_inboxes_set_updated_at BEFORE UPDATE ON notification.inboxes
  FOR EACH ROW EXECUTE FUNCTION notification.set_updated_at();
COMMENT ON TABLE notification.inboxes IS
'no-history: a counter that changes with every notification.
natural-key: one row per recipient; locking it orders every change of that recipient''s unread notifications.
The unread count of a user''s inbox, changed in the transaction that creates, reads or dismisses a notification.';
COMMENT ON COLUMN notification.inboxes.recipient_id IS 'identity.users id of the inbox''s owner.';
COMMENT ON COLUMN notification.inboxes.unread_count IS 'Listed notifications of the recipient with status new.';

-- Preferences and quiet hours -------------------------------------------------------------------
CREATE TABLE notification.preferences (
  id uuid NOT NULL DEFAULT notification.uuid_generate_v7(),
  tenant_id uuid NOT NULL,
  user_id uuid,
  type text NOT NULL,
  channel notification.notification_channel_enum NOT NULL,
  is_enabled boolean NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_preferences PRIMARY KEY (id),
  CONSTRAINT ck_preferences_type_length CHECK (char_length(type) BETWEEN 2 AND 63)
);
-- One choice per user (or tenant default: user_id NULL), type and channel.
CREATE UNIQUE INDEX uq_preferences_tenant_id_user_id_type_channel
  ON notification.preferences (tenant_id, user_id, type, channel) NULLS NOT DISTINCT;
CREATE TRIGGER trg_preferences_set_updated_at BEFORE UPDATE ON notification.preferences
  FOR EACH ROW EXECUTE FUNCTION notification.set_updated_at();
COMMENT ON TABLE notification.preferences IS
'A choice to receive a type of notification on a channel or not: a user''s own, or a tenant default (user_id NULL).';
COMMENT ON COLUMN notification.preferences.user_id IS 'identity.users id of who chose; NULL for the tenant''s default.';
COMMENT ON COLUMN notification.preferences.type IS 'The notification type the choice is about.';
COMMENT ON COLUMN notification.preferences.channel IS 'in_app or email.';
COMMENT ON COLUMN notification.preferences.is_enabled IS 'Whether notifications of the type reach the channel.';

CREATE TABLE notification.preferences_history (
  history_id uuid NOT NULL DEFAULT notification.uuid_generate_v7(),
  history_operation text NOT NULL,
  history_changed_at timestamptz NOT NULL DEFAULT now(),
  LIKE notification.preferences,
  CONSTRAINT pk_preferences_history PRIMARY KEY (history_id),
  CONSTRAINT ck_preferences_history_operation CHECK (history_operation IN ('UPDATE', 'DELETE'))
);
CREATE INDEX idx_preferences_history_id ON notification.preferences_history (id);
COMMENT ON TABLE notification.preferences_history IS
'append-only: Earlier versions of preferences rows, written by trg_preferences_log_history.';
CREATE TRIGGER trg_preferences_log_history AFTER UPDATE OR DELETE ON notification.preferences
  FOR EACH ROW EXECUTE FUNCTION notification.log_history();

CREATE TABLE notification.quiet_hours (
  id uuid NOT NULL DEFAULT notification.uuid_generate_v7(),
  tenant_id uuid NOT NULL,
  user_id uuid,
  start_minute integer NOT NULL,
  end_minute integer NOT NULL,
  time_zone text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_quiet_hours PRIMARY KEY (id),
  CONSTRAINT ck_quiet_hours_start_minute_range CHECK (start_minute BETWEEN 0 AND 1439),
  CONSTRAINT ck_quiet_hours_end_minute_range CHECK (end_minute BETWEEN 0 AND 1439),
  CONSTRAINT ck_quiet_hours_not_empty CHECK (start_minute <> end_minute),
  CONSTRAINT ck_quiet_hours_time_zone_length CHECK (char_length(time_zone) BETWEEN 1 AND 64)
);
CREATE UNIQUE INDEX uq_quiet_hours_tenant_id_user_id ON notification.quiet_hours (tenant_id, user_id) NULLS NOT DISTINCT;
CREATE TRIGGER trg_quiet_hours_set_updated_at BEFORE UPDATE ON notification.quiet_hours
  FOR EACH ROW EXECUTE FUNCTION notification.set_updated_at();
COMMENT ON TABLE notification.quiet_hours IS
'A daily period in which emails wait (urgent ones excepted): a user''s own, or a tenant default (user_id NULL).';
COMMENT ON COLUMN notification.quiet_hours.user_id IS 'identity.users id of who chose; NULL for the tenant''s default.';
COMMENT ON COLUMN notification.quiet_hours.start_minute IS 'Start, in minutes after local midnight (inclusive).';
COMMENT ON COLUMN notification.quiet_hours.end_minute IS
'End, in minutes after local midnight (exclusive); before the start, the period wraps past midnight.';
COMMENT ON COLUMN notification.quiet_hours.time_zone IS 'IANA time zone the minutes are in.';

CREATE TABLE notification.quiet_hours_history (
  history_id uuid NOT NULL DEFAULT notification.uuid_generate_v7(),
  history_operation text NOT NULL,
  history_changed_at timestamptz NOT NULL DEFAULT now(),
  LIKE notification.quiet_hours,
  CONSTRAINT pk_quiet_hours_history PRIMARY KEY (history_id),
  CONSTRAINT ck_quiet_hours_history_operation CHECK (history_operation IN ('UPDATE', 'DELETE'))
);
CREATE INDEX idx_quiet_hours_history_id ON notification.quiet_hours_history (id);
COMMENT ON TABLE notification.quiet_hours_history IS
'append-only: Earlier versions of quiet_hours rows, written by trg_quiet_hours_log_history.';
CREATE TRIGGER trg_quiet_hours_log_history AFTER UPDATE OR DELETE ON notification.quiet_hours
  FOR EACH ROW EXECUTE FUNCTION notification.log_history();

-- Email deliveries ------------------------------------------------------------------------------
CREATE TABLE notification.deliveries (
  id uuid NOT NULL DEFAULT notification.uuid_generate_v7(),
  notification_id uuid NOT NULL,
  tenant_id uuid NOT NULL,
  recipient_id uuid NOT NULL,
  digest_id uuid,
  channel notification.notification_channel_enum NOT NULL,
  status notification.delivery_status_enum NOT NULL DEFAULT 'pending',
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  next_attempt_at timestamptz NOT NULL,
  sent_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_deliveries PRIMARY KEY (id),
  CONSTRAINT fk_deliveries_notification FOREIGN KEY (notification_id) REFERENCES notification.notifications (id),
  CONSTRAINT ck_deliveries_attempts_non_negative CHECK (attempts >= 0),
  CONSTRAINT ck_deliveries_last_error_length CHECK (char_length(last_error) BETWEEN 1 AND 1000),
  CONSTRAINT ck_deliveries_sent_when_sent CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
-- One delivery per notification and channel.
CREATE UNIQUE INDEX uq_deliveries_notification_id_channel ON notification.deliveries (notification_id, channel);
-- The sender's queue: pending deliveries by due time.
CREATE INDEX idx_deliveries_next_attempt_at_pending ON notification.deliveries (next_attempt_at)
  WHERE status = 'pending';
-- A recipient's pending deliveries, which go out together (the digest).
CREATE INDEX idx_deliveries_recipient_id_pending ON notification.deliveries (recipient_id)
  WHERE status = 'pending';
CREATE TRIGGER trg_deliveries_set_updated_at BEFORE UPDATE ON notification.deliveries
  FOR EACH ROW EXECUTE FUNCTION notification.set_updated_at();
COMMENT ON TABLE notification.deliveries IS
'no-history: attempts, last_error and status are the record of each try; a dead-lettered row is kept for inspection.
The delivery of one notification on one channel other than the inbox: its attempts and outcome.';
COMMENT ON COLUMN notification.deliveries.recipient_id IS 'identity.users id of the recipient (the notification''s).';
COMMENT ON COLUMN notification.deliveries.digest_id IS
'Deliveries sent in the same email share it (also the email''s Message-ID); NULL until an attempt.';
COMMENT ON COLUMN notification.deliveries.channel IS 'The channel; email for now.';
COMMENT ON COLUMN notification.deliveries.status IS 'pending, sent, skipped or dead_lettered.';
COMMENT ON COLUMN notification.deliveries.attempts IS 'Attempts made so far.';
COMMENT ON COLUMN notification.deliveries.last_error IS 'Why the latest attempt failed, or why the delivery was skipped.';
COMMENT ON COLUMN notification.deliveries.next_attempt_at IS
'When the delivery is due: after the digest window and quiet hours, then after each failure with capped backoff.';
COMMENT ON COLUMN notification.deliveries.sent_at IS 'When the email server accepted it.';

-- Broadcasts and system alerts ------------------------------------------------------------------
CREATE TABLE notification.broadcasts (
  id uuid NOT NULL DEFAULT notification.uuid_generate_v7(),
  tenant_id uuid NOT NULL,
  sender_id uuid NOT NULL,
  sender_tenant_id uuid NOT NULL,
  alert_id uuid,
  last_recipient_id uuid,
  kind notification.broadcast_kind_enum NOT NULL,
  status notification.broadcast_status_enum NOT NULL DEFAULT 'pending',
  idempotency_key text NOT NULL,
  title text NOT NULL,
  body text NOT NULL,
  data jsonb NOT NULL DEFAULT '{}'::jsonb,
  priority notification.notification_priority_enum NOT NULL,
  recipient_count integer NOT NULL DEFAULT 0,
  started_at timestamptz,
  completed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_broadcasts PRIMARY KEY (id),
  CONSTRAINT ck_broadcasts_idempotency_key_length CHECK (char_length(idempotency_key) BETWEEN 1 AND 128),
  CONSTRAINT ck_broadcasts_title_length CHECK (char_length(title) BETWEEN 1 AND 200),
  CONSTRAINT ck_broadcasts_body_length CHECK (char_length(body) BETWEEN 1 AND 2000),
  CONSTRAINT ck_broadcasts_data_object CHECK (jsonb_typeof(data) = 'object'),
  CONSTRAINT ck_broadcasts_recipient_count_non_negative CHECK (recipient_count >= 0),
  CONSTRAINT ck_broadcasts_alert_kind CHECK ((kind = 'alert') = (alert_id IS NOT NULL))
);
-- A repeated send (same sender, key and kind) finds the jobs of the first one.
CREATE UNIQUE INDEX uq_broadcasts_sender_id_kind_idempotency_key_tenant_id
  ON notification.broadcasts (sender_id, kind, idempotency_key, tenant_id);
-- The fan-out worker's queue: unfinished jobs, oldest first.
CREATE INDEX idx_broadcasts_id_unfinished ON notification.broadcasts (id) WHERE status <> 'completed';
CREATE TRIGGER trg_broadcasts_set_updated_at BEFORE UPDATE ON notification.broadcasts
  FOR EACH ROW EXECUTE FUNCTION notification.set_updated_at();
COMMENT ON TABLE notification.broadcasts IS
'no-history: the cursor moves with every batch; the notifications created are the record.
The fan-out of a tenant broadcast, or of a system alert to one tenant: a resumable job.';
COMMENT ON COLUMN notification.broadcasts.tenant_id IS 'The tenant whose users receive it.';
COMMENT ON COLUMN notification.broadcasts.sender_id IS 'identity.users id of who sent it.';
COMMENT ON COLUMN notification.broadcasts.sender_tenant_id IS 'identity.tenants id of the sender''s tenant (the platform tenant for an alert).';
COMMENT ON COLUMN notification.broadcasts.alert_id IS 'Shared by the jobs of one system alert; NULL for a tenant broadcast.';
COMMENT ON COLUMN notification.broadcasts.last_recipient_id IS
'identity.users id of the last user notified: the next batch starts after it. NULL before the first.';
COMMENT ON COLUMN notification.broadcasts.kind IS 'broadcast or alert.';
COMMENT ON COLUMN notification.broadcasts.status IS 'pending, running or completed.';
COMMENT ON COLUMN notification.broadcasts.idempotency_key IS 'The sender''s key: sending again with it returns this job.';
COMMENT ON COLUMN notification.broadcasts.title IS 'Title of the notifications.';
COMMENT ON COLUMN notification.broadcasts.body IS 'Body of the notifications.';
COMMENT ON COLUMN notification.broadcasts.data IS 'Data of the notifications, a JSON object.';
COMMENT ON COLUMN notification.broadcasts.priority IS 'Priority of the notifications.';
COMMENT ON COLUMN notification.broadcasts.recipient_count IS 'Notifications created so far.';
COMMENT ON COLUMN notification.broadcasts.started_at IS 'When the first batch ran.';
COMMENT ON COLUMN notification.broadcasts.completed_at IS 'When the last batch ran.';
