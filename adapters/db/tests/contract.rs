//! The store contract: one suite, run unchanged on SQLite and on PostgreSQL.

use std::sync::Arc;
use std::time::Duration;

use bedrud_db::{DatabaseUrl, Db, PoolOptions, testing};
use bedrud_ports::*;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};

fn opts() -> PoolOptions {
    PoolOptions {
        max_connections: 8,
        acquire_timeout: Duration::from_secs(10),
    }
}

async fn sqlite_db() -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Db::open(
        &DatabaseUrl::Sqlite(dir.path().join("nested/bedrud.db")),
        &opts(),
    )
    .expect("open");
    db.migrate().await.expect("migrate");
    (db, dir)
}

async fn postgres_db() -> Option<Db> {
    let url = testing::scratch_postgres_or_skip().await?;
    let db = Db::open(&DatabaseUrl::Postgres(url), &opts()).expect("open");
    db.migrate().await.expect("migrate");
    Some(db)
}

/// Declares each contract test once per backend.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let (db, _dir) = super::sqlite_db().await;
                    super::$name(db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(db) = super::postgres_db().await {
                        super::$name(db).await;
                    }
                }
            )*
        }
    };
}

contract!(
    migrations_are_idempotent,
    users_insert_get_and_email_uniqueness,
    users_profile_password_and_guards,
    users_admin_list_filters_sorts_and_pages,
    guests_upsert_and_stale_cleanup,
    sessions_rotate_is_compare_and_set,
    sessions_revoke_purge_and_summary,
    rooms_unique_active_name_and_archive,
    rooms_cap_and_concurrent_creates,
    rooms_lists_settings_and_sweeps,
    rooms_admin_list,
    participants_admit_capacity_and_flags,
    passkeys_unique_credential_and_atomic_signup,
    ceremonies_single_use_expiry_and_failures,
    identities_unique_and_atomic,
    settings_default_and_health,
    jobs_claim_each_tick_once,
    jobs_lock_excludes_overlapping_runs,
    jobs_records_list_and_purge,
    sweep_candidates_and_stale_participants,
    census_counts_sessions_rooms_and_participants,
);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 10, 20, 30)
        .single()
        .expect("valid")
        + TimeDelta::microseconds(123_456)
}

fn user(id: &str, email: &str, provider: &str, accesses: &[Access]) -> User {
    User {
        id: id.into(),
        email: email.into(),
        name: format!("Name {id}"),
        avatar_url: String::new(),
        provider: provider.into(),
        accesses: accesses.to_vec(),
        is_active: true,
        password_hash: Some("$argon2id$x".into()),
        email_verified_at: None,
        password_changed_at: None,
        created_at: t0(),
        updated_at: t0(),
    }
}

fn session(id: &str, user_id: &str, hash: &str, expires: DateTime<Utc>) -> Session {
    Session {
        id: id.into(),
        user_id: user_id.into(),
        refresh_hash: hash.into(),
        prev_refresh_hash: None,
        rotated_at: None,
        created_at: t0(),
        last_used_at: t0(),
        expires_at: expires,
        revoked_at: None,
        revoke_reason: None,
        user_agent: "ua".into(),
        ip: "127.0.0.1".into(),
    }
}

fn room(id: &str, name: &str, creator: &str, at: DateTime<Utc>) -> (Room, Participant) {
    let room = Room {
        id: id.into(),
        name: name.into(),
        created_by: creator.into(),
        admin_id: creator.into(),
        is_active: true,
        is_public: false,
        max_participants: 0,
        mode: RoomMode::Standard,
        settings: RoomSettings::default(),
        is_live: false,
        created_at: at,
        updated_at: at,
        expires_at: at + TimeDelta::hours(24),
        last_activity_at: Some(at),
        deleted_at: None,
    };
    let p = Participant {
        room_id: id.into(),
        identity: creator.into(),
        is_active: false,
        is_moderator: false,
        is_banned: false,
        on_stage: true,
        joined_at: None,
        left_at: None,
        created_at: at,
        updated_at: at,
    };
    (room, p)
}

async fn create_room(db: &Db, id: &str, name: &str, creator: &str, at: DateTime<Utc>) -> Room {
    let (r, p) = room(id, name, creator, at);
    match RoomStore::create(db, r, p, None)
        .await
        .expect("create room")
    {
        RoomCreation::Created(r) => r,
        other => panic!("unexpected {other:?}"),
    }
}

async fn migrations_are_idempotent(db: Db) {
    let again = db.migrate().await.expect("second migrate");
    assert!(
        again.applied.is_empty(),
        "second run applied {:?}",
        again.applied
    );
}

async fn users_insert_get_and_email_uniqueness(db: Db) {
    let alice = user(
        "u1",
        "alice@example.com",
        "local",
        &[Access::User, Access::Superadmin],
    );
    UserStore::insert(&db, alice.clone()).await.expect("insert");
    let got = UserStore::get(&db, "u1")
        .await
        .expect("get")
        .expect("present");
    assert_eq!(got.email, "alice@example.com");
    assert_eq!(got.accesses, vec![Access::Superadmin, Access::User]);
    assert_eq!(got.created_at, t0(), "microsecond timestamps round-trip");
    assert!(UserStore::get(&db, "nope").await.expect("get").is_none());

    let dup = UserStore::insert(&db, user("u2", "alice@example.com", "local", &[])).await;
    assert!(
        matches!(dup, Err(StoreError::Conflict("user_email"))),
        "{dup:?}"
    );
    let dup_id = UserStore::insert(&db, user("u1", "other@example.com", "local", &[])).await;
    assert!(
        matches!(dup_id, Err(StoreError::Conflict("user_id"))),
        "{dup_id:?}"
    );
    // Same email under another provider is allowed by the schema (migrated Bedrud data).
    UserStore::insert(&db, user("u3", "alice@example.com", "github", &[]))
        .await
        .expect("other provider");
    // E-mail-less OAuth accounts of one provider do not collide.
    UserStore::insert(&db, user("u4", "", "github", &[]))
        .await
        .expect("empty email 1");
    UserStore::insert(&db, user("u5", "", "github", &[]))
        .await
        .expect("empty email 2");
    let found = db.find_by_email("alice@example.com").await.expect("find");
    assert_eq!(
        found.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(),
        vec!["u1", "u3"]
    );
}

async fn users_profile_password_and_guards(db: Db) {
    UserStore::insert(&db, user("s1", "s1@x.org", "local", &[Access::Superadmin]))
        .await
        .expect("s1");
    UserStore::insert(&db, user("u1", "u1@x.org", "local", &[Access::User]))
        .await
        .expect("u1");
    let later = t0() + TimeDelta::minutes(5);

    db.update_profile("u1", "New Name".into(), Some("new@x.org".into()), later)
        .await
        .expect("profile");
    let u = UserStore::get(&db, "u1").await.expect("get").expect("u1");
    assert_eq!(
        (u.name.as_str(), u.email.as_str(), u.updated_at),
        ("New Name", "new@x.org", later)
    );
    let taken = db
        .update_profile("u1", "N".into(), Some("s1@x.org".into()), later)
        .await;
    assert!(
        matches!(taken, Err(StoreError::Conflict("user_email"))),
        "{taken:?}"
    );
    assert!(matches!(
        db.update_profile("zz", "N".into(), None, later).await,
        Err(StoreError::NotFound)
    ));

    db.set_password_hash("u1", "h2".into(), Some(later), later)
        .await
        .expect("pw");
    let u = UserStore::get(&db, "u1").await.expect("get").expect("u1");
    assert_eq!(
        (u.password_hash.as_deref(), u.password_changed_at),
        (Some("h2"), Some(later))
    );

    assert_eq!(
        db.set_active("s1", false, later).await.expect("guard"),
        GuardedUpdate::LastSuperadmin
    );
    assert_eq!(
        db.set_accesses("s1", vec![Access::User], later)
            .await
            .expect("guard"),
        GuardedUpdate::LastSuperadmin
    );
    assert_eq!(
        db.set_active("missing", false, later).await.expect("nf"),
        GuardedUpdate::NotFound
    );
    assert!(
        UserStore::get(&db, "s1")
            .await
            .expect("get")
            .expect("s1")
            .is_active,
        "nothing written"
    );

    assert_eq!(
        db.set_accesses(
            "u1",
            vec![Access::Superadmin, Access::User, Access::User],
            later
        )
        .await
        .expect("promote"),
        GuardedUpdate::Updated
    );
    assert_eq!(
        db.set_active("s1", false, later)
            .await
            .expect("now allowed"),
        GuardedUpdate::Updated
    );
    assert!(
        !UserStore::get(&db, "s1")
            .await
            .expect("get")
            .expect("s1")
            .is_active
    );
    // u1 is now the only active superadmin.
    assert_eq!(
        db.set_accesses("u1", vec![], later).await.expect("guard"),
        GuardedUpdate::LastSuperadmin
    );
}

async fn users_admin_list_filters_sorts_and_pages(db: Db) {
    for (i, (name, email, provider, acc)) in [
        ("Anna", "anna@x.org", "local", Access::User),
        ("Bob_1", "bob@x.org", "github", Access::Admin),
        ("Carl", "100%carl@x.org", "guest", Access::Guest),
        ("Dora", "dora@y.org", "passkey", Access::Superadmin),
    ]
    .into_iter()
    .enumerate()
    {
        let mut u = user(&format!("id{i}"), email, provider, &[acc]);
        u.name = name.into();
        u.created_at = t0() + TimeDelta::days(i as i64);
        u.email_verified_at = (i % 2 == 0).then(t0);
        UserStore::insert(&db, u).await.expect("insert");
    }
    db.set_active("id2", false, t0()).await.expect("deactivate");
    let base = UserQuery {
        limit: 50,
        ..Default::default()
    };
    let ids = |r: (Vec<User>, i64)| (r.0.into_iter().map(|u| u.id).collect::<Vec<_>>(), r.1);

    assert_eq!(
        ids(UserStore::list(&db, base.clone()).await.expect("all")),
        (
            vec!["id3".into(), "id2".into(), "id1".into(), "id0".into()],
            4
        )
    );
    let q = |s: &str| UserQuery {
        q: Some(s.into()),
        ..base.clone()
    };
    assert_eq!(
        ids(UserStore::list(&db, q("%")).await.expect("q")).0,
        vec!["id2".to_string()],
        "% is literal"
    );
    assert_eq!(
        ids(UserStore::list(&db, q("b_")).await.expect("q")).0,
        vec!["id1".to_string()],
        "_ is literal"
    );
    assert_eq!(
        ids(UserStore::list(&db, q("X.ORG")).await.expect("q")).1,
        3,
        "case-insensitive"
    );
    let r = UserStore::list(
        &db,
        UserQuery {
            providers: vec!["github".into(), "passkey".into()],
            ..base.clone()
        },
    )
    .await
    .expect("p");
    assert_eq!(r.1, 2);
    let r = UserStore::list(
        &db,
        UserQuery {
            roles: vec![Access::Admin, Access::Guest],
            ..base.clone()
        },
    )
    .await
    .expect("r");
    assert_eq!(ids(r).0, vec!["id2".to_string(), "id1".to_string()]);
    assert_eq!(
        UserStore::list(
            &db,
            UserQuery {
                active: Some(false),
                ..base.clone()
            }
        )
        .await
        .expect("a")
        .1,
        1
    );
    assert_eq!(
        UserStore::list(
            &db,
            UserQuery {
                verified: Some(true),
                ..base.clone()
            }
        )
        .await
        .expect("v")
        .1,
        2
    );
    assert_eq!(
        UserStore::list(
            &db,
            UserQuery {
                created_since: Some(t0() + TimeDelta::days(2)),
                ..base.clone()
            }
        )
        .await
        .expect("c")
        .1,
        2
    );
    let r = UserStore::list(
        &db,
        UserQuery {
            sort: UserSort::Name,
            order: Order::Asc,
            offset: 1,
            limit: 2,
            ..base.clone()
        },
    )
    .await
    .expect("page");
    assert_eq!(ids(r), (vec!["id1".to_string(), "id2".to_string()], 4));
}

async fn guests_upsert_and_stale_cleanup(db: Db) {
    let mut g = user(
        "guest-abcdefgh",
        "guest-abcdefgh@bedrud.guest",
        "guest",
        &[Access::Guest],
    );
    g.password_hash = None;
    db.upsert_guest(g.clone()).await.expect("insert");
    g.name = "Renamed".into();
    g.updated_at = t0() + TimeDelta::minutes(1);
    let back = db.upsert_guest(g.clone()).await.expect("update");
    assert_eq!((back.name.as_str(), back.created_at), ("Renamed", t0()));

    let mut g2 = g.clone();
    g2.id = "guest-inroom1".into();
    g2.email = "guest-inroom1@bedrud.guest".into();
    db.upsert_guest(g2).await.expect("insert 2");
    UserStore::insert(&db, user("owner", "o@x.org", "local", &[Access::User]))
        .await
        .expect("owner");
    let r = create_room(&db, "r1", "abc-defg-hij", "owner", t0()).await;
    assert!(
        db.admit(&r.id, "guest-inroom1", None, t0())
            .await
            .expect("admit")
    );

    let removed = db
        .delete_stale_guests(t0() + TimeDelta::days(8))
        .await
        .expect("cleanup");
    assert_eq!(removed, 1, "only the guest in no active room");
    assert!(
        UserStore::get(&db, "guest-abcdefgh")
            .await
            .expect("get")
            .is_none()
    );
    assert!(
        UserStore::get(&db, "guest-inroom1")
            .await
            .expect("get")
            .is_some()
    );
    assert!(
        UserStore::get(&db, "owner").await.expect("get").is_some(),
        "non-guests untouched"
    );
}

async fn sessions_rotate_is_compare_and_set(db: Db) {
    UserStore::insert(&db, user("u1", "u1@x.org", "local", &[Access::User]))
        .await
        .expect("u1");
    let exp = t0() + TimeDelta::days(30);
    SessionStore::insert(&db, session("s1", "u1", "h0", exp))
        .await
        .expect("insert");
    let dup = SessionStore::insert(&db, session("s1", "u1", "h0", exp)).await;
    assert!(matches!(dup, Err(StoreError::Conflict("session_id"))));
    let orphan = SessionStore::insert(&db, session("s2", "ghost", "h0", exp)).await;
    assert!(orphan.is_err(), "foreign key to users is enforced");

    let rot = |expected: &str, new: &str| Rotation {
        session_id: "s1".into(),
        expected_hash: expected.into(),
        new_hash: new.into(),
        now: t0() + TimeDelta::minutes(1),
        expires_at: exp + TimeDelta::minutes(1),
        ip: "10.0.0.1".into(),
        user_agent: "ua2".into(),
    };
    // Many concurrent rotations from the same hash: exactly one wins.
    let db = Arc::new(db);
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let db = db.clone();
            let r = rot("h0", &format!("h1-{i}"));
            tokio::spawn(async move { db.rotate(r).await.expect("rotate") })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        wins += usize::from(t.await.expect("join"));
    }
    assert_eq!(wins, 1);
    let s = SessionStore::get(&*db, "s1")
        .await
        .expect("get")
        .expect("s1");
    assert!(s.refresh_hash.starts_with("h1-"));
    assert_eq!(s.prev_refresh_hash.as_deref(), Some("h0"));
    assert_eq!((s.ip.as_str(), s.user_agent.as_str()), ("10.0.0.1", "ua2"));
    assert_eq!(s.rotated_at, Some(t0() + TimeDelta::minutes(1)));

    db.revoke("s1", "logout", t0()).await.expect("revoke");
    let current = s.refresh_hash.clone();
    assert!(
        !db.rotate(rot(&current, "h2")).await.expect("rotate"),
        "revoked sessions never rotate"
    );
}

async fn sessions_revoke_purge_and_summary(db: Db) {
    UserStore::insert(&db, user("u1", "u1@x.org", "local", &[Access::User]))
        .await
        .expect("u1");
    UserStore::insert(&db, user("u2", "u2@x.org", "local", &[Access::User]))
        .await
        .expect("u2");
    let exp = t0() + TimeDelta::days(30);
    for (id, uid) in [("a", "u1"), ("b", "u1"), ("c", "u1"), ("d", "u2")] {
        SessionStore::insert(&db, session(id, uid, "h", exp))
            .await
            .expect("insert");
    }
    let now = t0() + TimeDelta::hours(1);
    db.touch("b", now).await.expect("touch");
    assert_eq!(
        db.revoke_all("u1", Some("a".into()), "password_change", now)
            .await
            .expect("all"),
        2
    );
    assert!(db.revoke("a", "logout", now).await.expect("revoke"));
    assert!(
        !db.revoke("a", "logout", now).await.expect("again"),
        "already revoked"
    );
    let b = SessionStore::get(&db, "b").await.expect("get").expect("b");
    assert_eq!(
        (b.revoked_at, b.revoke_reason.as_deref()),
        (Some(now), Some("password_change"))
    );
    assert_eq!(
        SessionStore::count_active(&db, now).await.expect("count"),
        1
    );
    assert_eq!(
        db.user_summary("u1", now).await.expect("sum"),
        (0, Some(now))
    );
    assert_eq!(
        db.user_summary("u2", now).await.expect("sum"),
        (1, Some(t0()))
    );
    // Revoked more than 7 days before `before` go; the live one stays.
    assert_eq!(
        db.purge(now + TimeDelta::seconds(1)).await.expect("purge"),
        3
    );
    assert!(SessionStore::get(&db, "d").await.expect("get").is_some());
    assert_eq!(
        db.purge(exp + TimeDelta::seconds(1))
            .await
            .expect("purge expired"),
        1
    );
}

async fn rooms_unique_active_name_and_archive(db: Db) {
    let r1 = create_room(&db, "r1", "team-sync", "u1", t0()).await;
    let creator = ParticipantStore::get(&db, &r1.id, "u1")
        .await
        .expect("get")
        .expect("creator row");
    assert!(creator.on_stage && !creator.is_active);
    let (dup, p) = room("r2", "team-sync", "u2", t0());
    let conflict = RoomStore::create(&db, dup, p, None).await;
    assert!(
        matches!(conflict, Err(StoreError::Conflict("room_name"))),
        "{conflict:?}"
    );
    assert!(
        RoomStore::get(&db, "r2").await.expect("get").is_none(),
        "nothing written"
    );

    db.admit("r1", "u3", None, t0()).await.expect("admit");
    let later = t0() + TimeDelta::minutes(3);
    assert!(db.archive("r1", later).await.expect("archive"));
    assert!(
        db.archive("r1", later + TimeDelta::minutes(1))
            .await
            .expect("idempotent")
    );
    let archived = RoomStore::get(&db, "r1").await.expect("get").expect("r1");
    assert_eq!(
        (archived.is_active, archived.deleted_at),
        (false, Some(later))
    );
    assert_eq!(
        ParticipantStore::count_active(&db, "r1", None)
            .await
            .expect("count"),
        0
    );
    assert!(!db.archive("nope", later).await.expect("missing"));

    // The name is free again; lookup prefers the active row.
    create_room(&db, "r3", "team-sync", "u2", later).await;
    assert_eq!(
        db.find_by_name("team-sync")
            .await
            .expect("find")
            .expect("room")
            .id,
        "r3"
    );
    assert!(db.find_by_name("no-such").await.expect("find").is_none());
    // The same lookup with one identity's row in that room (the join path's one read).
    let (room, row) = db
        .find_by_name_with_row("team-sync", "u2")
        .await
        .expect("find")
        .expect("room");
    let row = row.expect("the creator's row");
    assert_eq!(
        (
            room.id.as_str(),
            row.room_id.as_str(),
            row.identity.as_str()
        ),
        ("r3", "r3", "u2")
    );
    let (room, row) = db
        .find_by_name_with_row("team-sync", "u3")
        .await
        .expect("find")
        .expect("room");
    assert_eq!(room.id, "r3");
    assert!(
        row.is_none(),
        "u3's row belongs to the archived room: {row:?}"
    );
    assert!(
        db.find_by_name_with_row("no-such", "u2")
            .await
            .expect("find")
            .is_none()
    );
    assert!(db.hard_delete("r3").await.expect("delete"));
    let (room, row) = db
        .find_by_name_with_row("team-sync", "u3")
        .await
        .expect("find")
        .expect("old room");
    let row = row.expect("u3's row in the archived room");
    assert_eq!((room.id.as_str(), row.room_id.as_str()), ("r1", "r1"));
    assert!(!row.is_active, "archiving deactivated it");
    assert!(
        ParticipantStore::get(&db, "r3", "u2")
            .await
            .expect("get")
            .is_none(),
        "participants cascade"
    );
    assert_eq!(
        db.find_by_name("team-sync")
            .await
            .expect("find")
            .expect("old")
            .id,
        "r1"
    );
}

async fn rooms_cap_and_concurrent_creates(db: Db) {
    let db = Arc::new(db);
    for i in 0..2 {
        let (r, p) = room(&format!("c{i}"), &format!("cap-room-{i}"), "capper", t0());
        assert!(matches!(
            RoomStore::create(&*db, r, p, Some(2))
                .await
                .expect("create"),
            RoomCreation::Created(_)
        ));
    }
    let (r, p) = room("c9", "cap-room-9", "capper", t0());
    assert_eq!(
        RoomStore::create(&*db, r, p, Some(2)).await.expect("cap"),
        RoomCreation::CapReached
    );
    assert!(RoomStore::get(&*db, "c9").await.expect("get").is_none());

    // 20 concurrent creates of one name: exactly one row.
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                let (r, p) = room(&format!("n{i}"), "same-name", &format!("user{i}"), t0());
                RoomStore::create(&*db, r, p, Some(100)).await
            })
        })
        .collect();
    let (mut ok, mut conflicts) = (0, 0);
    for t in tasks {
        match t.await.expect("join") {
            Ok(RoomCreation::Created(_)) => ok += 1,
            Err(StoreError::Conflict("room_name")) => conflicts += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((ok, conflicts), (1, 19));
}

async fn rooms_lists_settings_and_sweeps(db: Db) {
    let a = create_room(&db, "a", "alpha-room", "u1", t0()).await;
    db.archive(&a.id, t0() + TimeDelta::minutes(1))
        .await
        .expect("archive");
    create_room(&db, "a2", "alpha-room", "u1", t0() + TimeDelta::minutes(2)).await;
    create_room(&db, "b", "beta-room", "u1", t0() + TimeDelta::minutes(3)).await;
    create_room(&db, "x", "other-room", "u2", t0()).await;
    let mine: Vec<String> = db
        .list_by_creator("u1")
        .await
        .expect("list")
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(mine, vec!["b", "a2"]);
    let archived: Vec<String> = db
        .list_archived("u1")
        .await
        .expect("arch")
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(archived, vec!["a"]);

    let s = RoomSettings {
        allow_chat: false,
        is_persistent: true,
        ..RoomSettings::default()
    };
    let r = db
        .update_settings("b", true, 12, s, t0() + TimeDelta::hours(1))
        .await
        .expect("settings");
    assert_eq!((r.is_public, r.max_participants, r.settings), (true, 12, s));
    assert!(matches!(
        db.update_settings("zz", true, 1, s, t0()).await,
        Err(StoreError::NotFound)
    ));

    // Sweeps: "b" is persistent; "x" goes live; "a2" expires.
    assert!(
        db.set_live("other-room", true, t0() + TimeDelta::hours(2))
            .await
            .expect("live")
    );
    assert!(!db.set_live("no-room", true, t0()).await.expect("live"));
    // The activity alone (a participant left), and the flag alone (the sweep).
    let x = async |db: &Db| RoomStore::get(db, "x").await.expect("get").expect("x");
    assert!(
        db.touch_activity("other-room", t0() + TimeDelta::hours(3))
            .await
            .expect("touch")
    );
    let got = x(&db).await;
    assert_eq!(
        (got.is_live, got.last_activity_at),
        (true, Some(t0() + TimeDelta::hours(3)))
    );
    assert!(db.correct_live("other-room", false).await.expect("flag"));
    let got = x(&db).await;
    assert_eq!(
        (got.is_live, got.last_activity_at),
        (false, Some(t0() + TimeDelta::hours(3))),
        "the flag alone"
    );
    assert!(!db.touch_activity("no-room", t0()).await.expect("touch"));
    assert!(!db.correct_live("no-room", true).await.expect("flag"));
    // Back to where the sweeps below start.
    assert!(db.correct_live("other-room", true).await.expect("flag"));
    assert!(
        db.touch_activity("other-room", t0() + TimeDelta::hours(2))
            .await
            .expect("touch")
    );
    let expired = db
        .deactivate_expired(t0() + TimeDelta::hours(25))
        .await
        .expect("expire");
    assert_eq!(expired, 1);
    assert!(
        !RoomStore::get(&db, "a2")
            .await
            .expect("get")
            .expect("a2")
            .is_active
    );
    assert!(
        RoomStore::get(&db, "x")
            .await
            .expect("get")
            .expect("x")
            .is_active,
        "live rooms do not expire"
    );
    db.set_live("other-room", false, t0() + TimeDelta::hours(2))
        .await
        .expect("not live");
    db.admit("x", "guest-1", None, t0() + TimeDelta::hours(2))
        .await
        .expect("admit");
    let idle = db
        .deactivate_idle(t0() + TimeDelta::hours(3), t0() + TimeDelta::hours(3))
        .await
        .expect("idle");
    assert_eq!(idle, 1, "only x: b is persistent");
    assert_eq!(
        ParticipantStore::count_active(&db, "x", None)
            .await
            .expect("count"),
        0,
        "participants deactivated"
    );
    assert!(
        RoomStore::get(&db, "b")
            .await
            .expect("get")
            .expect("b")
            .is_active
    );
}

async fn rooms_admin_list(db: Db) {
    let mut owner = user("own1", "owner@x.org", "local", &[Access::User]);
    owner.name = "Olga Owner".into();
    UserStore::insert(&db, owner).await.expect("owner");
    create_room(&db, "r1", "big-room", "own1", t0()).await;
    create_room(
        &db,
        "r2",
        "small_room",
        "own1",
        t0() + TimeDelta::minutes(1),
    )
    .await;
    create_room(
        &db,
        "r3",
        "gone-room",
        "ghost",
        t0() + TimeDelta::minutes(2),
    )
    .await;
    db.archive("r3", t0() + TimeDelta::minutes(5))
        .await
        .expect("archive");
    for i in 0..6 {
        db.admit("r1", &format!("p{i}"), None, t0())
            .await
            .expect("admit");
    }
    db.update_settings("r2", true, 3, RoomSettings::default(), t0())
        .await
        .expect("settings");
    let base = RoomQuery {
        limit: 50,
        ..Default::default()
    };
    let ids = |r: (Vec<AdminRoom>, i64)| r.0.into_iter().map(|a| a.room.id).collect::<Vec<_>>();

    let (all, total) = db.admin_list(base.clone()).await.expect("all");
    assert_eq!(total, 3);
    let r1 = all.iter().find(|a| a.room.id == "r1").expect("r1");
    assert_eq!(
        (
            r1.participants_count,
            r1.owner_name.as_str(),
            r1.owner_email.as_str()
        ),
        (6, "Olga Owner", "owner@x.org")
    );
    assert_eq!(
        all.iter()
            .find(|a| a.room.id == "r3")
            .expect("r3")
            .owner_name,
        "",
        "owner gone"
    );

    assert_eq!(
        ids(db
            .admin_list(RoomQuery {
                q: Some("_".into()),
                ..base.clone()
            })
            .await
            .expect("q")),
        vec!["r2"]
    );
    assert_eq!(
        ids(db
            .admin_list(RoomQuery {
                owner: Some("OLGA".into()),
                sort: RoomSort::Name,
                order: Order::Asc,
                ..base.clone()
            })
            .await
            .expect("owner")),
        vec!["r1", "r2"]
    );
    assert_eq!(
        ids(db
            .admin_list(RoomQuery {
                public: Some(true),
                ..base.clone()
            })
            .await
            .expect("pub")),
        vec!["r2"]
    );
    assert_eq!(
        ids(db
            .admin_list(RoomQuery {
                statuses: vec![RoomStatus::Archived],
                ..base.clone()
            })
            .await
            .expect("st")),
        vec!["r3"]
    );
    assert_eq!(
        ids(db
            .admin_list(RoomQuery {
                occupancy: Some(CountBucket::SixToTwenty),
                ..base.clone()
            })
            .await
            .expect("occ")),
        vec!["r1"]
    );
    assert_eq!(
        ids(db
            .admin_list(RoomQuery {
                capacity: Some(CountBucket::OneToFive),
                ..base.clone()
            })
            .await
            .expect("cap")),
        vec!["r2"]
    );
    assert_eq!(
        ids(db
            .admin_list(RoomQuery {
                sort: RoomSort::ParticipantsCount,
                order: Order::Desc,
                limit: 1,
                ..base.clone()
            })
            .await
            .expect("sort")),
        vec!["r1"]
    );
    let page = db
        .admin_list(RoomQuery {
            sort: RoomSort::CreatedAt,
            order: Order::Asc,
            offset: 1,
            limit: 1,
            created_from: Some(t0()),
            ..base.clone()
        })
        .await
        .expect("page");
    assert_eq!((ids(page.clone()), page.1), (vec!["r2".to_string()], 3));
}

async fn participants_admit_capacity_and_flags(db: Db) {
    create_room(&db, "r", "cap-room", "owner", t0()).await;
    assert!(db.admit("r", "a", Some(2), t0()).await.expect("a"));
    assert!(db.admit("r", "b", Some(2), t0()).await.expect("b"));
    assert!(!db.admit("r", "c", Some(2), t0()).await.expect("c refused"));
    assert!(
        db.admit("r", "a", Some(2), t0())
            .await
            .expect("own row does not count")
    );
    assert!(
        ParticipantStore::get(&db, "r", "c")
            .await
            .expect("get")
            .is_none(),
        "refusal writes nothing"
    );

    let later = t0() + TimeDelta::minutes(1);
    let banned = db
        .apply(
            "r",
            "b",
            ParticipantChange {
                banned: Some(true),
                active: Some(false),
                ..Default::default()
            },
            later,
        )
        .await
        .expect("ban");
    assert!(banned.is_banned && !banned.is_active && banned.left_at == Some(later));
    let never = db
        .apply(
            "r",
            "stranger",
            ParticipantChange {
                banned: Some(true),
                active: Some(false),
                ..Default::default()
            },
            later,
        )
        .await
        .expect("ban absent");
    assert!(never.is_banned && never.joined_at.is_none());
    let m = db
        .apply(
            "r",
            "a",
            ParticipantChange {
                moderator: Some(true),
                on_stage: Some(true),
                ..Default::default()
            },
            later,
        )
        .await
        .expect("promote");
    assert!(
        m.is_moderator && m.on_stage && m.is_active,
        "untouched flags kept"
    );
    assert_eq!(
        ParticipantStore::count_active(&db, "r", None)
            .await
            .expect("count"),
        1
    );
    assert_eq!(
        ParticipantStore::count_active(&db, "r", Some("a".into()))
            .await
            .expect("count"),
        0
    );
    assert_eq!(
        ParticipantStore::list(&db, "r").await.expect("list").len(),
        4
    );
    assert_eq!(db.deactivate_all("r", later).await.expect("all"), 1);
    let room = RoomStore::get(&db, "r").await.expect("get").expect("r");
    assert_eq!(room.last_activity_at, Some(t0()), "admit records activity");

    // Concurrent admits never exceed capacity.
    create_room(&db, "r2", "busy-room", "owner", t0()).await;
    let db = Arc::new(db);
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                db.admit("r2", &format!("id{i}"), Some(5), t0())
                    .await
                    .expect("admit")
            })
        })
        .collect();
    let mut admitted = 0;
    for t in tasks {
        admitted += usize::from(t.await.expect("join"));
    }
    assert_eq!(admitted, 5);
    assert_eq!(
        ParticipantStore::count_active(&*db, "r2", None)
            .await
            .expect("count"),
        5
    );
}

fn passkey(id: &str, user_id: &str, cred: &[u8]) -> Passkey {
    Passkey {
        id: id.into(),
        user_id: user_id.into(),
        credential_id: cred.to_vec(),
        name: "Passkey".into(),
        credential: "{}".into(),
        sign_count: 0,
        created_at: t0(),
        last_used_at: None,
    }
}

async fn passkeys_unique_credential_and_atomic_signup(db: Db) {
    UserStore::insert(&db, user("u1", "u1@x.org", "local", &[Access::User]))
        .await
        .expect("u1");
    PasskeyStore::insert(&db, passkey("p1", "u1", &[1, 2, 3]))
        .await
        .expect("p1");
    let mut p2 = passkey("p2", "u1", &[4, 5]);
    p2.created_at = t0() + TimeDelta::seconds(1);
    PasskeyStore::insert(&db, p2).await.expect("p2");
    let dup = PasskeyStore::insert(&db, passkey("p3", "u1", &[1, 2, 3])).await;
    assert!(
        matches!(dup, Err(StoreError::Conflict("credential_id"))),
        "{dup:?}"
    );

    // Signup with a taken credential id creates no user.
    let newbie = user("u2", "u2@x.org", "passkey", &[Access::User]);
    let r =
        PasskeyStore::insert_with_user(&db, newbie.clone(), passkey("p4", "u2", &[1, 2, 3])).await;
    assert!(
        matches!(r, Err(StoreError::Conflict("credential_id"))),
        "{r:?}"
    );
    assert!(
        UserStore::get(&db, "u2").await.expect("get").is_none(),
        "rolled back"
    );
    PasskeyStore::insert_with_user(&db, newbie, passkey("p4", "u2", &[9]))
        .await
        .expect("signup");

    let list: Vec<String> = db
        .list_for_user("u1")
        .await
        .expect("list")
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(list, vec!["p2", "p1"]);
    let found = db
        .find_by_credential_id(&[4, 5])
        .await
        .expect("find")
        .expect("p2");
    assert_eq!(found.id, "p2");
    db.record_use("p2", 7, "{\"v\":2}".into(), t0())
        .await
        .expect("use");
    let p = db
        .find_by_credential_id(&[4, 5])
        .await
        .expect("find")
        .expect("p2");
    assert_eq!(
        (p.sign_count, p.last_used_at, p.credential.as_str()),
        (7, Some(t0()), "{\"v\":2}")
    );
    assert!(
        !PasskeyStore::delete(&db, "p2", "u2")
            .await
            .expect("not theirs")
    );
    assert!(PasskeyStore::delete(&db, "p2", "u1").await.expect("delete"));
}

async fn ceremonies_single_use_expiry_and_failures(db: Db) {
    let c = Ceremony {
        id: "c1".into(),
        kind: CeremonyKind::PasskeyLogin,
        user_id: None,
        binding_hash: Some("bh".into()),
        payload: "{\"challenge\":1}".into(),
        failures: 0,
        created_at: t0(),
        expires_at: t0() + TimeDelta::minutes(5),
    };
    CeremonyStore::insert(&db, c.clone()).await.expect("insert");
    assert!(matches!(
        CeremonyStore::insert(&db, c.clone()).await,
        Err(StoreError::Conflict("ceremony_id"))
    ));
    assert_eq!(
        CeremonyStore::get(&db, "c1", t0()).await.expect("get"),
        Some(c.clone())
    );
    assert!(
        CeremonyStore::get(&db, "c1", t0() + TimeDelta::minutes(6))
            .await
            .expect("get")
            .is_none(),
        "expired"
    );

    for _ in 0..4 {
        db.record_failure("c1", 5).await.expect("fail");
    }
    assert_eq!(
        CeremonyStore::get(&db, "c1", t0())
            .await
            .expect("get")
            .expect("c1")
            .failures,
        4
    );
    db.record_failure("c1", 5).await.expect("fifth");
    assert!(
        CeremonyStore::get(&db, "c1", t0())
            .await
            .expect("get")
            .is_none(),
        "deleted after 5 failures"
    );

    CeremonyStore::insert(
        &db,
        Ceremony {
            id: "c2".into(),
            kind: CeremonyKind::OAuth,
            ..c.clone()
        },
    )
    .await
    .expect("c2");
    let db = Arc::new(db);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move { db.consume("c2").await.expect("consume") })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.expect("join"));
    }
    assert_eq!(won, 1, "single use");
    CeremonyStore::insert(
        &*db,
        Ceremony {
            id: "c3".into(),
            ..c.clone()
        },
    )
    .await
    .expect("c3");
    assert_eq!(
        db.purge_expired(t0() + TimeDelta::minutes(5))
            .await
            .expect("purge"),
        1
    );
}

async fn identities_unique_and_atomic(db: Db) {
    let ident = |id: &str, subject: &str, user_id: &str| OAuthIdentity {
        id: id.into(),
        provider: "keycloak".into(),
        subject: subject.into(),
        user_id: user_id.into(),
        created_at: t0(),
    };
    let u = user("u1", "", "keycloak", &[Access::User]);
    IdentityStore::insert_with_user(&db, u, ident("i1", "sub-1", "u1"))
        .await
        .expect("signup");
    assert_eq!(
        IdentityStore::find(&db, "keycloak", "sub-1")
            .await
            .expect("find")
            .expect("i1")
            .user_id,
        "u1"
    );
    assert!(
        IdentityStore::find(&db, "github", "sub-1")
            .await
            .expect("find")
            .is_none()
    );
    let dup = IdentityStore::insert(&db, ident("i2", "sub-1", "u1")).await;
    assert!(matches!(dup, Err(StoreError::Conflict("identity"))));
    let r = IdentityStore::insert_with_user(
        &db,
        user("u2", "", "keycloak", &[]),
        ident("i3", "sub-1", "u2"),
    )
    .await;
    assert!(r.is_err());
    assert!(
        UserStore::get(&db, "u2").await.expect("get").is_none(),
        "rolled back"
    );
    db.refresh_profile("u1", "Kim".into(), "https://a/x.png".into(), t0())
        .await
        .expect("refresh");
    let u = UserStore::get(&db, "u1").await.expect("get").expect("u1");
    assert_eq!(
        (u.name.as_str(), u.avatar_url.as_str()),
        ("Kim", "https://a/x.png")
    );
}

async fn settings_default_and_health(db: Db) {
    assert_eq!(
        SettingsStore::get(&db).await.expect("settings"),
        RuntimeSettings::default()
    );
    db.ping().await.expect("ping");
    db.close();
    assert!(
        matches!(db.ping().await, Err(StoreError::Unavailable(_))),
        "closed pool reports unavailable"
    );
}

fn job_run(id: &str, job: &str, tick: DateTime<Utc>) -> JobRun {
    JobRun {
        id: id.into(),
        job: job.into(),
        tick,
        instance: "i1".into(),
        started_at: tick,
        finished_at: None,
        rows: None,
        error: None,
    }
}

fn outcome(at: DateTime<Utc>, rows: Option<i64>, error: Option<&str>) -> JobOutcome {
    JobOutcome {
        finished_at: at,
        rows,
        error: error.map(str::to_owned),
    }
}

async fn jobs_claim_each_tick_once(db: Db) {
    let tick = t0();
    let lease = db
        .claim(job_run("j1", "cleanup", tick))
        .await
        .expect("claim")
        .expect("first claim wins");
    lease
        .finish(outcome(tick + TimeDelta::seconds(1), Some(3), None))
        .await
        .expect("finish");
    // The same tick again (another instance, or a late timer): refused, lock or not.
    let again = db
        .claim(job_run("j2", "cleanup", tick))
        .await
        .expect("claim");
    assert!(again.is_none(), "a tick runs once");
    // The same tick of another job, and the next tick of this one, are free.
    for (id, job, at) in [
        ("j3", "room_sweep", tick),
        ("j4", "cleanup", tick + TimeDelta::seconds(1)),
    ] {
        let lease = db
            .claim(job_run(id, job, at))
            .await
            .expect("claim")
            .expect("free");
        lease
            .finish(outcome(at, None, Some("boom")))
            .await
            .expect("finish");
    }
    let runs = db.list_runs("cleanup", tick).await.expect("list");
    assert_eq!(
        runs.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["j1", "j4"]
    );
    assert_eq!(runs[0].finished_at, Some(tick + TimeDelta::seconds(1)));
    assert_eq!((runs[0].rows, runs[0].error.as_deref()), (Some(3), None));
    assert_eq!(
        (runs[1].rows, runs[1].error.as_deref()),
        (None, Some("boom"))
    );
    assert_eq!(
        runs[1].tick,
        tick + TimeDelta::seconds(1),
        "microseconds kept"
    );
}

async fn jobs_lock_excludes_overlapping_runs(db: Db) {
    let first = db
        .claim(job_run("a1", "room_sweep", t0()))
        .await
        .expect("claim")
        .expect("free");
    let next_tick = db
        .claim(job_run("a2", "room_sweep", t0() + TimeDelta::seconds(1)))
        .await
        .expect("claim");
    if db.backend() == "postgres" {
        assert!(
            next_tick.is_none(),
            "the job's lock is held by the running claim"
        );
        let other_job = db
            .claim(job_run("b1", "cleanup", t0() + TimeDelta::seconds(1)))
            .await
            .expect("claim");
        assert!(other_job.is_some(), "locks are per job");
        drop(other_job);
        // Abandoning a lease (panic, cancellation) releases the lock too: its connection
        // is closed, and the server drops the lock when it sees the session end, which can
        // take a moment after the drop (the next tick is a second away at the soonest).
        drop(first);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        let after = loop {
            let claimed = db
                .claim(job_run("a3", "room_sweep", t0() + TimeDelta::seconds(2)))
                .await
                .expect("claim");
            if claimed.is_some() || std::time::Instant::now() > deadline {
                break claimed;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        .expect("released by drop");
        after
            .finish(outcome(t0() + TimeDelta::seconds(3), Some(0), None))
            .await
            .expect("finish");
        let later = db
            .claim(job_run("a4", "room_sweep", t0() + TimeDelta::seconds(4)))
            .await
            .expect("claim");
        assert!(later.is_some(), "released by finish");
    } else {
        // One SQLite instance needs no lock: the scheduler keeps its own runs apart.
        assert!(next_tick.is_some());
        drop(first);
    }
    let (_, _, waiting) = db.pool_status();
    assert_eq!(waiting, 0);
}

async fn jobs_records_list_and_purge(db: Db) {
    for (i, days) in [10, 8, 1].into_iter().enumerate() {
        let at = t0() - TimeDelta::days(days);
        let lease = db
            .claim(job_run(&format!("r{i}"), "guest_cleanup", at))
            .await
            .expect("claim")
            .expect("free");
        lease
            .finish(outcome(at, Some(1), None))
            .await
            .expect("finish");
    }
    assert_eq!(
        db.list_runs("guest_cleanup", t0() - TimeDelta::days(9))
            .await
            .expect("list")
            .len(),
        2,
        "since filters by tick"
    );
    assert!(
        db.list_runs("cleanup", t0() - TimeDelta::days(30))
            .await
            .expect("list")
            .is_empty()
    );
    let purged = db
        .purge_runs(t0() - TimeDelta::days(7))
        .await
        .expect("purge");
    assert_eq!(purged, 2);
    let left = db
        .list_runs("guest_cleanup", t0() - TimeDelta::days(30))
        .await
        .expect("list");
    assert_eq!(
        left.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["r2"]
    );
}

async fn sweep_candidates_and_stale_participants(db: Db) {
    // quiet: no rows, not live, not running → not a candidate
    create_room(&db, "q", "quiet-room", "u1", t0()).await;
    // live flag set
    create_room(&db, "l", "live-room", "u1", t0()).await;
    db.set_live("live-room", true, t0()).await.expect("live");
    // running in LiveKit only
    create_room(&db, "n", "named-room", "u1", t0()).await;
    // active participant rows
    create_room(&db, "p", "people-room", "u1", t0()).await;
    let joined_early = t0();
    let joined_late = t0() + TimeDelta::minutes(9);
    for (who, at) in [
        ("stale", joined_early),
        ("here", joined_early),
        ("fresh", joined_late),
    ] {
        assert!(db.admit("p", who, None, at).await.expect("admit"));
    }
    db.admit("q", "gone", None, t0()).await.expect("admit");
    db.apply(
        "q",
        "gone",
        ParticipantChange {
            active: Some(false),
            ..ParticipantChange::default()
        },
        t0(),
    )
    .await
    .expect("leave");
    // archived rooms are never candidates, even when named
    create_room(&db, "z", "archived-room", "u1", t0()).await;
    db.archive("z", t0()).await.expect("archive");

    let candidates = db
        .sweep_candidates(vec!["named-room".into(), "archived-room".into()])
        .await
        .expect("candidates");
    let got: Vec<(&str, bool, i64)> = candidates
        .iter()
        .map(|c| (c.id.as_str(), c.is_live, c.active_participants))
        .collect();
    assert_eq!(got, [("l", true, 0), ("n", false, 0), ("p", false, 3)]);
    assert_eq!(candidates[2].name, "people-room");
    assert!(
        db.sweep_candidates(Vec::new())
            .await
            .expect("no names")
            .len()
            == 2,
        "an empty running list is fine"
    );

    let now = t0() + TimeDelta::minutes(10);
    let cut = now - TimeDelta::minutes(2);
    let n = db
        .deactivate_stale("p", vec!["here".into()], cut, now)
        .await
        .expect("stale");
    assert_eq!(
        n, 1,
        "only the stale row: 'here' is connected, 'fresh' is in grace"
    );
    let rows = ParticipantStore::list(&db, "p").await.expect("rows");
    let state: Vec<(&str, bool, Option<DateTime<Utc>>)> = rows
        .iter()
        .map(|r| (r.identity.as_str(), r.is_active, r.left_at))
        .collect();
    assert!(state.contains(&("stale", false, Some(now))), "{state:?}");
    assert!(state.contains(&("here", true, None)), "{state:?}");
    assert!(state.contains(&("fresh", true, None)), "{state:?}");
    assert!(
        state.contains(&("u1", false, None)),
        "creator row untouched: {state:?}"
    );
    // Nobody connected: every row past the grace goes.
    let n = db
        .deactivate_stale("p", Vec::new(), now + TimeDelta::minutes(10), now)
        .await
        .expect("stale");
    assert_eq!(n, 2);
    assert_eq!(
        ParticipantStore::count_active(&db, "p", None)
            .await
            .expect("count"),
        0
    );
    assert_eq!(
        ParticipantStore::count_active(&db, "q", None)
            .await
            .expect("count"),
        0,
        "other rooms untouched"
    );
}

async fn census_counts_sessions_rooms_and_participants(db: Db) {
    let empty = db.census(t0()).await.expect("census");
    assert_eq!(empty, Census::default());
    UserStore::insert(&db, user("u1", "a@x.org", "local", &[Access::User]))
        .await
        .expect("user");
    SessionStore::insert(&db, session("s1", "u1", "h1", t0() + TimeDelta::days(1)))
        .await
        .expect("s1");
    SessionStore::insert(&db, session("s2", "u1", "h2", t0() - TimeDelta::days(1)))
        .await
        .expect("expired");
    SessionStore::insert(&db, session("s3", "u1", "h3", t0() + TimeDelta::days(1)))
        .await
        .expect("s3");
    db.revoke("s3", "test", t0()).await.expect("revoke");

    create_room(&db, "a", "active-room", "u1", t0()).await;
    create_room(&db, "l", "live-room", "u1", t0()).await;
    db.set_live("live-room", true, t0()).await.expect("live");
    create_room(&db, "i", "idle-room", "u1", t0()).await;
    db.deactivate_idle(t0() + TimeDelta::hours(1), t0() + TimeDelta::hours(1))
        .await
        .expect("idle");
    create_room(&db, "z", "archived-room", "u1", t0()).await;
    db.archive("z", t0()).await.expect("archive");
    db.admit("l", "p1", None, t0()).await.expect("p1");
    db.admit("l", "p2", None, t0()).await.expect("p2");
    db.apply(
        "l",
        "p2",
        ParticipantChange {
            banned: Some(true),
            ..ParticipantChange::default()
        },
        t0(),
    )
    .await
    .expect("ban");

    let c = db.census(t0()).await.expect("census");
    assert_eq!(
        c,
        Census {
            active_sessions: 1,
            active_rooms: 1,
            live_rooms: 1,
            inactive_rooms: 2,
            archived_rooms: 1,
            active_participants: 1,
        }
    );
}
