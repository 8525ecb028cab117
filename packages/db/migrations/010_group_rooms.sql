-- Group rooms: rooms of kind direct (the pair of 001) or group, members with roles, and receipts
-- as per-member cursors instead of per-message updates.

-- A group has no pair; a direct room has no name. `message_seq` numbers the room's messages (1..N,
-- deleted ones included) so that unread counts are subtractions, never a count of messages.
-- `meta_version` is the room version of the last change to the room itself or to its membership.
ALTER TABLE rooms
  ALTER COLUMN user_low DROP NOT NULL,
  ALTER COLUMN user_high DROP NOT NULL,
  ADD COLUMN kind text NOT NULL DEFAULT 'direct' CONSTRAINT rooms_kind_check CHECK (kind IN ('direct', 'group')),
  ADD COLUMN name text,
  ADD COLUMN topic text,
  ADD COLUMN visibility text NOT NULL DEFAULT 'private'
    CONSTRAINT rooms_visibility_check CHECK (visibility IN ('private', 'public')),
  ADD COLUMN member_count integer NOT NULL DEFAULT 2,
  ADD COLUMN message_seq bigint NOT NULL DEFAULT 0,
  ADD COLUMN meta_version bigint NOT NULL DEFAULT 0,
  ADD CONSTRAINT rooms_kind_shape CHECK (
    CASE kind
      WHEN 'direct' THEN user_low IS NOT NULL AND user_high IS NOT NULL AND name IS NULL AND topic IS NULL
      ELSE user_low IS NULL AND user_high IS NULL AND name IS NOT NULL
    END);
CREATE INDEX rooms_public_idx ON rooms (id) WHERE kind = 'group' AND visibility = 'public';

-- Rows written outside the app (bulk loads) keep 0: they count in nobody's unread total.
ALTER TABLE messages ADD COLUMN seq bigint NOT NULL DEFAULT 0;
UPDATE messages m SET seq = n.seq
FROM (SELECT id, row_number() OVER (PARTITION BY room_id ORDER BY id) AS seq FROM messages) n
WHERE m.id = n.id;
UPDATE rooms r SET message_seq = coalesce((SELECT max(seq) FROM messages m WHERE m.room_id = r.id), 0);
-- Unread counts subtract the deleted messages after a reader's position: few, found here.
CREATE INDEX messages_deleted_seq_idx ON messages (room_id, seq) WHERE deleted_at IS NOT NULL;

-- Each member's delivered and read positions (message ids; they only move forward), the room
-- sequence number at the read position, and how many of their own messages came after it.
-- `version` is the room version at which the member joined (catch-up returns newer members).
ALTER TABLE room_members
  ADD COLUMN role text NOT NULL DEFAULT 'member' CONSTRAINT room_members_role_check CHECK (role IN ('owner', 'admin', 'member')),
  ADD COLUMN delivered_id bigint NOT NULL DEFAULT 0,
  ADD COLUMN read_id bigint NOT NULL DEFAULT 0,
  ADD COLUMN read_seq bigint NOT NULL DEFAULT 0,
  ADD COLUMN own_after_read integer NOT NULL DEFAULT 0,
  ADD COLUMN version bigint NOT NULL DEFAULT 0;
-- A message's state needs the two lowest positions of a room.
CREATE INDEX room_members_read_idx ON room_members (room_id, read_id, user_id);
CREATE INDEX room_members_delivered_idx ON room_members (room_id, delivered_id, user_id);

-- Existing receipts become cursors: in a pair, the reader's position is the other's newest message
-- in that state.
UPDATE room_members me SET
  read_id = coalesce(c.read_id, 0),
  delivered_id = coalesce(c.delivered_id, 0)
FROM (
  SELECT rm.room_id, rm.user_id,
    max(m.id) FILTER (WHERE m.state = 'lu') AS read_id,
    max(m.id) FILTER (WHERE m.state IN ('recu', 'lu')) AS delivered_id
  FROM room_members rm JOIN messages m ON m.room_id = rm.room_id AND m.sender_id <> rm.user_id
  GROUP BY rm.room_id, rm.user_id
) c
WHERE me.room_id = c.room_id AND me.user_id = c.user_id;
UPDATE room_members me SET
  read_seq = coalesce((SELECT seq FROM messages m WHERE m.id = me.read_id), 0),
  own_after_read = (SELECT count(*) FROM messages m
    WHERE m.room_id = me.room_id AND m.sender_id = me.user_id AND m.id > me.read_id);

-- Who left a room and how, at which room version (a member who comes back is deleted from here).
CREATE TABLE room_departures (
  room_id bigint NOT NULL REFERENCES rooms (id),
  user_id bigint NOT NULL REFERENCES users (id),
  reason text NOT NULL CONSTRAINT room_departures_reason_check CHECK (reason IN ('left', 'removed')),
  version bigint NOT NULL,
  left_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (room_id, user_id)
);
