-- Admission batches reach room rows by key. The batch drains plan their statements once,
-- generically (adapters/db/src/batch_queue.rs), and `id = ANY (p_rooms)` planned for an
-- array of unknown length became, on a small rooms table, a scan of every room, twice per
-- batch (the row locks, the activity update). Now each room of a batch is locked by its
-- key, in id order as before. When no admission of the batch has a capacity (rooms
-- without `maxParticipants`, the usual case) every admission succeeds, and the lock is
-- the activity update itself: one statement per room, then the one upsert.
-- Lock order unchanged: advisory locks (capacities only), room rows by id, participant rows.
CREATE OR REPLACE FUNCTION bedrud_admit_all(p_rooms TEXT[], p_identities TEXT[],
                                            p_capacities BIGINT[], p_nows TIMESTAMPTZ[])
RETURNS BOOLEAN[]
LANGUAGE plpgsql
AS $$
DECLARE
    n INTEGER := coalesce(array_length(p_rooms, 1), 0);
    admitted BOOLEAN[] := array_fill(FALSE, ARRAY[n]);
    k INTEGER;
    i INTEGER;
    r TEXT;
    latest TIMESTAMPTZ;
BEGIN
    IF cardinality(array_remove(p_capacities, NULL)) = 0 THEN
        FOR r, latest IN
            SELECT u.room, max(u.at) FROM unnest(p_rooms, p_nows) AS u(room, at)
            GROUP BY u.room ORDER BY u.room
        LOOP
            UPDATE rooms SET last_activity_at = latest WHERE id = r;
        END LOOP;
        INSERT INTO room_participants (room_id, identity, is_active, joined_at, created_at, updated_at)
        SELECT DISTINCT ON (t.room, t.identity) t.room, t.identity, TRUE, t.at, t.at, t.at
        FROM unnest(p_rooms, p_identities, p_nows) AS t(room, identity, at)
        ORDER BY t.room, t.identity, t.at DESC
        ON CONFLICT (room_id, identity) DO UPDATE
            SET is_active = TRUE, joined_at = excluded.joined_at, left_at = NULL,
                updated_at = excluded.updated_at;
        RETURN array_fill(TRUE, ARRAY[n]);
    END IF;

    FOR k IN
        SELECT DISTINCT hashtext('room:' || t.room)
        FROM unnest(p_rooms, p_capacities) AS t(room, capacity)
        WHERE t.capacity IS NOT NULL
        ORDER BY 1
    LOOP
        PERFORM pg_advisory_xact_lock(k);
    END LOOP;
    FOR r IN SELECT DISTINCT u.room FROM unnest(p_rooms) AS u(room) ORDER BY 1 LOOP
        PERFORM 1 FROM rooms WHERE id = r FOR UPDATE;
    END LOOP;
    FOR i IN
        SELECT s FROM generate_subscripts(p_rooms, 1) AS s
        WHERE p_capacities[s] IS NOT NULL
        ORDER BY p_rooms[s], p_identities[s], s
    LOOP
        -- Its locks are held already (they stack); the batch sets the room's latest time below.
        admitted[i] := bedrud_admit(p_rooms[i], p_identities[i], p_capacities[i], p_nows[i]);
    END LOOP;
    INSERT INTO room_participants (room_id, identity, is_active, joined_at, created_at, updated_at)
    SELECT DISTINCT ON (t.room, t.identity) t.room, t.identity, TRUE, t.at, t.at, t.at
    FROM unnest(p_rooms, p_identities, p_capacities, p_nows) AS t(room, identity, capacity, at)
    WHERE t.capacity IS NULL
    ORDER BY t.room, t.identity, t.at DESC
    ON CONFLICT (room_id, identity) DO UPDATE
        SET is_active = TRUE, joined_at = excluded.joined_at, left_at = NULL,
            updated_at = excluded.updated_at;
    SELECT array_agg(t.capacity IS NULL OR t.ok ORDER BY t.s) INTO admitted
    FROM unnest(p_capacities, admitted) WITH ORDINALITY AS t(capacity, ok, s);
    FOR r, latest IN
        SELECT u.room, max(u.at) FROM unnest(p_rooms, p_nows, admitted) AS u(room, at, ok)
        WHERE u.ok
        GROUP BY u.room
    LOOP
        UPDATE rooms SET last_activity_at = latest WHERE id = r;
    END LOOP;
    RETURN coalesce(admitted, '{}');
END
$$;
