CREATE INDEX rooms_name_idx ON rooms (name);
DROP INDEX rooms_name_newest_idx;
