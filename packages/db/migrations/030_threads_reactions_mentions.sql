-- Threads, quote replies, reactions and mentions.

-- A thread reply names its root (`parent_id`, always a top-level message of the same room); the root
-- keeps how many replies it has and when the last came. A quote keeps what it quoted as it was when
-- quoted (the sender and the first 200 characters), emptied and flagged when the original is
-- deleted. `reactions` holds each emoji's count, in the order they were first used (the rows are in
-- message_reactions), so that a message reads its reactions without counting anything.
-- `mentions` lists the mentioned users' ids.
ALTER TABLE messages
  ADD COLUMN parent_id bigint REFERENCES messages (id),
  ADD COLUMN quoted_id bigint REFERENCES messages (id),
  ADD COLUMN quoted_sender bigint,
  ADD COLUMN quoted_excerpt text,
  ADD COLUMN quoted_deleted boolean NOT NULL DEFAULT false,
  ADD COLUMN reply_count integer NOT NULL DEFAULT 0,
  ADD COLUMN last_reply_at timestamptz,
  ADD COLUMN reactions jsonb NOT NULL DEFAULT '[]',
  ADD COLUMN mentions bigint[] NOT NULL DEFAULT '{}';
-- The main history is the top-level messages; a thread is its root's replies: both keyset by id.
CREATE INDEX messages_top_level_idx ON messages (room_id, id) WHERE parent_id IS NULL;
CREATE INDEX messages_thread_idx ON messages (parent_id, id) WHERE parent_id IS NOT NULL;
-- A deletion finds the quotes of the deleted message.
CREATE INDEX messages_quoted_idx ON messages (quoted_id) WHERE quoted_id IS NOT NULL;

-- One row per (message, user, emoji): a second add is a no-op; `me` is a primary key lookup.
CREATE TABLE message_reactions (
  message_id bigint NOT NULL REFERENCES messages (id),
  user_id bigint NOT NULL REFERENCES users (id),
  emoji text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (message_id, user_id, emoji)
);

-- One row per mention of a member, with the message's sequence number in the room: a member's
-- unread mentions are their rows above their read position (`room_members.read_seq`), found
-- through the index, never a count of messages.
CREATE TABLE message_mentions (
  message_id bigint NOT NULL REFERENCES messages (id),
  user_id bigint NOT NULL REFERENCES users (id),
  room_id bigint NOT NULL REFERENCES rooms (id),
  seq bigint NOT NULL,
  PRIMARY KEY (message_id, user_id)
);
CREATE INDEX message_mentions_unread_idx ON message_mentions (user_id, room_id, seq);
