//! Room lookups by name on PostgreSQL, coalesced: every join, token refresh and room
//! action starts with "the room by this name, and the caller's row in it". Taken one at a
//! time each is a query of its own: a round trip through the connection's task, the
//! socket and a PostgreSQL backend, whose cost dwarfs the two index probes it makes. Here
//! concurrent lookups queue ([`crate::batch_queue`]) and one drain task sends them as one
//! statement over `unnest` of the names and identities, then the next batch. One statement
//! means one snapshot for the batch, taken after each of its lookups was asked for: a
//! lookup still sees every write committed before it was made.
//!
//! SQLite looks rooms up where they are asked for: there a query is a function call.

use std::sync::Arc;

use bedrud_ports::{Participant, Room, StoreResult};
use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Nullable, Text};
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::Pool;

use crate::batch_queue::{BatchQueue, DrainConnection, Waiting, answered, drain_postgres};
use crate::error::db_err;
use crate::rows::{ParticipantRow, RoomRow};
use crate::schema::postgres::{room_participants, rooms};

/// The room a name designates and `identity`'s row in it.
pub(crate) type Found = Option<(Room, Option<Participant>)>;

/// One lookup: the room by `name` (the active one, else the newest), `identity`'s row.
pub(crate) struct Lookup {
    pub name: String,
    pub identity: String,
}

/// The lookups waiting for their batch.
#[derive(Default)]
pub(crate) struct Lookups {
    queue: BatchQueue<Lookup, Found>,
    pub(crate) connection: DrainConnection,
}

impl Lookups {
    /// Queues `lookup` and waits for its batch.
    pub async fn find(
        self: &Arc<Self>,
        pool: &Pool<AsyncPgConnection>,
        lookup: Lookup,
    ) -> StoreResult<Found> {
        let (answer, start) = self.queue.push(lookup);
        if start {
            tokio::spawn(self.clone().drain(pool.clone()));
        }
        answered(answer, "room lookup").await
    }

    /// Closes the drain's own connection.
    pub fn close(&self) {
        self.connection.close();
    }

    /// Runs batches back to back until the queue is empty.
    async fn drain(self: Arc<Self>, pool: Pool<AsyncPgConnection>) {
        drain_postgres(&self.queue, &self.connection, &pool, run).await;
    }
}

/// Runs `batch` as one statement and answers each lookup; `false` when the connection
/// returned an error for a lookup tried alone.
async fn run(conn: &mut AsyncPgConnection, batch: Vec<Waiting<Lookup, Found>>) -> bool {
    if let Ok(mut found) = RoomsByName::of(batch.iter().map(|w| &w.item))
        .load(conn)
        .await
    {
        for (i, w) in batch.into_iter().enumerate() {
            w.answer(Ok(found[i].take()));
        }
        return true;
    }
    // A batch that failed as a whole: each on its own, so each gets its own error.
    let mut connection_ok = true;
    for w in batch {
        let result = RoomsByName::of([&w.item])
            .load(conn)
            .await
            .map(|mut found| found[0].take());
        connection_ok &= result.is_ok();
        w.answer(result);
    }
    connection_ok
}

/// The statement: row `ord` answers element `ord` of the arrays; names without a room
/// have no row. "The room by that name" is the order of `newest_by_name!` (rooms.rs),
/// restated here. Fixed text (the column lists are the `table!` orders, which the rows
/// load by position; a test compares them with diesel's), so each connection prepares it
/// once, and plans it once ([`crate::batch_queue::DrainConnection`]). Both tables are
/// probed by key for each lookup: the caller's row is a lateral subquery with `LIMIT 1`
/// (at most one row by the primary key anyway) because as a plain join the planner,
/// not knowing how many lookups come, hashes it against a scan of the whole table
/// whenever the table is small.
struct RoomsByName<'a> {
    names: Vec<&'a str>,
    identities: Vec<&'a str>,
}

/// Up to the names.
const ROOMS_BY_NAME: &str = "SELECT q.ord, \
     r.id, r.name, r.created_by, r.admin_id, r.is_active, r.is_public, r.max_participants, \
     r.mode, r.allow_chat, r.allow_video, r.allow_audio, r.require_approval, r.e2ee, \
     r.is_persistent, r.recordings_allowed, r.is_live, r.created_at, r.updated_at, \
     r.expires_at, r.last_activity_at, r.deleted_at, \
     p.room_id, p.identity, p.is_active, p.is_moderator, p.is_banned, p.on_stage, \
     p.joined_at, p.left_at, p.created_at, p.updated_at \
     FROM unnest(";
/// Then the identities, and the rest.
const ROOMS_BY_NAME_REST: &str = ") WITH ORDINALITY AS q(name, identity, ord) \
     CROSS JOIN LATERAL (SELECT * FROM rooms WHERE rooms.name = q.name \
         ORDER BY rooms.is_active DESC, rooms.created_at DESC, rooms.id DESC LIMIT 1) AS r \
     LEFT JOIN LATERAL (SELECT * FROM room_participants \
         WHERE room_participants.room_id = r.id AND room_participants.identity = q.identity \
         LIMIT 1) AS p ON TRUE";

impl<'a> RoomsByName<'a> {
    fn of(lookups: impl IntoIterator<Item = &'a Lookup>) -> Self {
        let (names, identities) = lookups
            .into_iter()
            .map(|l| (l.name.as_str(), l.identity.as_str()))
            .unzip();
        Self { names, identities }
    }

    /// Element i of the answer is lookup i's.
    async fn load(self, conn: &mut AsyncPgConnection) -> StoreResult<Vec<Found>> {
        use diesel_async::RunQueryDsl;
        let n = self.names.len();
        let rows: Vec<(i64, RoomRow, Option<ParticipantRow>)> =
            RunQueryDsl::load(self, conn).await.map_err(db_err)?;
        let mut found: Vec<Found> = (0..n).map(|_| None).collect();
        for (ord, room, row) in rows {
            // `ord` counts from 1; anything else would be PostgreSQL's mistake, not ours
            // to panic on.
            if let Some(slot) = usize::try_from(ord - 1).ok().and_then(|i| found.get_mut(i)) {
                *slot = Some((Room::from(room), row.map(Participant::from)));
            }
        }
        Ok(found)
    }
}

impl QueryId for RoomsByName<'_> {
    type QueryId = RoomsByName<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for RoomsByName<'_> {
    type SqlType = (BigInt, rooms::SqlType, Nullable<room_participants::SqlType>);
}

impl QueryFragment<Pg> for RoomsByName<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(ROOMS_BY_NAME);
        out.push_bind_param::<Array<Text>, _>(&self.names)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.identities)?;
        out.push_sql(ROOMS_BY_NAME_REST);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use bedrud_ports::RoomStore;
    use chrono::{DateTime, TimeDelta, TimeZone, Utc};
    use diesel::{QueryDsl, Table};

    use super::*;
    use crate::pool::{Pools, acquire};
    use crate::test_rooms::{create, open_migrated};
    use crate::{DatabaseUrl, Db, testing};

    /// The column names `prefix.` selects in `sql`, in order.
    fn selected(sql: &str, prefix: &str) -> Vec<String> {
        sql.split(", ")
            .flat_map(|part| part.split_whitespace())
            .filter_map(|word| word.trim_end_matches(',').strip_prefix(prefix))
            .map(str::to_string)
            .collect()
    }

    /// The column names diesel selects for `table`'s `all_columns`, in order.
    fn diesel_columns<T>(table: T) -> Vec<String>
    where
        T: Table + QueryDsl + diesel::query_builder::AsQuery,
        T::Query: QueryFragment<Pg>,
    {
        let sql = diesel::debug_query::<Pg, _>(&table.as_query()).to_string();
        let name = sql
            .split(" FROM ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .expect("a FROM clause")
            .to_string();
        let list = sql
            .strip_prefix("SELECT ")
            .and_then(|s| s.split(" FROM ").next())
            .expect("a select list");
        list.split(", ")
            .map(|c| {
                c.trim_start_matches(&format!("{name}."))
                    .trim_matches('"')
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn the_statement_selects_the_columns_in_table_order() {
        let head = ROOMS_BY_NAME.split(" FROM ").next().expect("select list");
        assert_eq!(selected(head, "r."), diesel_columns(rooms::table));
        assert_eq!(
            selected(head, "p."),
            diesel_columns(room_participants::table)
        );
        assert!(head.starts_with("SELECT q.ord, r.id"), "{head}");
    }

    fn t(minutes: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0)
            .single()
            .expect("valid")
            + TimeDelta::minutes(minutes)
    }

    /// (room id, the row's identity) of each answer; `None` for no room.
    type Seen = Option<(String, Option<String>)>;

    async fn lookup_batch(db: &Db, asked: &[(&str, &str)]) -> Vec<Seen> {
        let Pools::Postgres(pool) = db.pools() else {
            panic!("PostgreSQL only");
        };
        let queue = BatchQueue::default();
        let answers: Vec<_> = asked
            .iter()
            .map(|&(name, identity)| {
                let lookup = Lookup {
                    name: name.into(),
                    identity: identity.into(),
                };
                queue.push(lookup).0
            })
            .collect();
        let batch = queue.next_batch().expect("queued");
        assert_eq!(batch.len(), asked.len());
        let mut conn = acquire(pool).await.expect("connection");
        assert!(run(&mut conn, batch).await, "the batch ran");
        let mut seen = Vec::new();
        for answer in answers {
            let found = answer.await.expect("answered").expect("found");
            seen.push(found.map(|(room, row)| (room.id, row.map(|r| r.identity))));
        }
        seen
    }

    fn seen(room: &str, row: Option<&str>) -> Seen {
        Some((room.into(), row.map(str::to_string)))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_answers_each_lookup_with_its_own_room_and_row() {
        let Some(url) = testing::scratch_postgres_or_skip().await else {
            return;
        };
        let db = open_migrated(DatabaseUrl::Postgres(url)).await;
        create(&db, "old", "twice", t(0)).await;
        assert!(RoomStore::archive(&db, "old", t(1)).await.expect("archive"));
        create(&db, "new", "twice", t(2)).await;
        create(&db, "gone", "archived", t(0)).await;
        assert!(
            RoomStore::archive(&db, "gone", t(1))
                .await
                .expect("archive")
        );
        create(&db, "plain", "plain", t(3)).await;

        let asked = [
            ("plain", "owner"),
            ("nowhere", "owner"),
            ("twice", "owner"),
            ("plain", "stranger"),
            ("archived", "owner"),
            ("plain", "owner"),
        ];
        let expected = vec![
            seen("plain", Some("owner")),
            None,
            seen("new", Some("owner")),
            seen("plain", None),
            seen("gone", Some("owner")),
            seen("plain", Some("owner")),
        ];
        assert_eq!(lookup_batch(&db, &asked).await, expected);
        // The same answers one at a time, and through the store (which coalesces).
        for (ask, want) in asked.iter().zip(&expected) {
            assert_eq!(&lookup_batch(&db, &[*ask]).await[0], want, "{ask:?}");
            let found = RoomStore::find_by_name_with_row(&db, ask.0, ask.1)
                .await
                .expect("find");
            let got = found.map(|(room, row)| (room.id, row.map(|r| r.identity)));
            assert_eq!(&got, want, "{ask:?}");
        }
    }
}
