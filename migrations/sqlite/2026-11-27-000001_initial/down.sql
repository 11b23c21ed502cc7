DROP TABLE runtime_settings;
DROP TABLE oauth_identities;
DROP TABLE ceremonies;
DROP TABLE passkeys;
DROP TABLE room_participants;
DROP TABLE rooms;
DROP TABLE sessions;
DROP TABLE users;
