-- Search is always scoped to rooms (the caller's, or one of them). One GIN index over
-- (room_id, search) answers "these words in these rooms" from the index alone, instead of
-- collecting the word's matches in every room and dropping most of them. btree_gin gives integers
-- a GIN operator class. It replaces the search-only index, which it covers.
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE INDEX messages_room_search_idx ON messages USING gin (room_id, search);
DROP INDEX messages_search_idx;
