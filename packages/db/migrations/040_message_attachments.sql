-- A message's attachments as clients see them ({ id, name, size, contentType, width?, height? }, in
-- the order sent), copied from `files` when the message is sent: a file's description never
-- changes, so every read of a message (history, catch-up, search, a live event, a send's answer)
-- has them without a join. `message_attachments` (020) stays the link that file access and the
-- sweep follow; a deletion empties both.
ALTER TABLE messages ADD COLUMN attachments jsonb NOT NULL DEFAULT '[]';
