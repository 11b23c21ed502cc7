-- A room is looked up by name on every join: the newest row of that name, active first
-- (`newest_by_name!` in adapters/db/src/rooms.rs). In this order the index answers the
-- lookup without a sort; it replaces the index on the name alone.
CREATE INDEX rooms_name_newest_idx ON rooms (name, is_active DESC, created_at DESC, id DESC);
DROP INDEX rooms_name_idx;
