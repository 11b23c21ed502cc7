DROP FUNCTION IF EXISTS bedrud_admit_all(TEXT[], TEXT[], BIGINT[], TIMESTAMPTZ[]);
CREATE OR REPLACE FUNCTION bedrud_admit(p_room TEXT, p_identity TEXT, p_capacity BIGINT,
                                        p_now TIMESTAMPTZ)
RETURNS BOOLEAN
LANGUAGE plpgsql
AS $$
BEGIN
    IF p_capacity IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(hashtext('room:' || p_room));
        IF (SELECT count(*) FROM room_participants
            WHERE room_id = p_room AND is_active AND NOT is_banned
              AND identity <> p_identity) >= p_capacity THEN
            RETURN FALSE;
        END IF;
    END IF;
    INSERT INTO room_participants (room_id, identity, is_active, joined_at, created_at, updated_at)
    VALUES (p_room, p_identity, TRUE, p_now, p_now, p_now)
    ON CONFLICT (room_id, identity) DO UPDATE
        SET is_active = TRUE, joined_at = p_now, left_at = NULL, updated_at = p_now;
    UPDATE rooms SET last_activity_at = p_now WHERE id = p_room;
    RETURN TRUE;
END
$$;
