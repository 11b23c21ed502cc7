use std::sync::{Arc, Mutex};

use bedrud_ports::{Access, MockTokenCodec, Session, StoreError, TokenKind};
use chrono::TimeDelta;

use super::*;
use crate::testkit::*;

/// A session of `user_id` whose current refresh token is `token`.
fn session_for_token(id: &str, user_id: &str, token: &str) -> Session {
    Session {
        refresh_hash: refresh_hash(token),
        ..session(id, user_id)
    }
}

fn unavailable() -> StoreError {
    StoreError::Unavailable(anyhow::anyhow!("pool timeout"))
}

// ---- issue -------------------------------------------------------------------------

#[test]
fn issue_creates_a_session_and_a_matching_pair() {
    let mut parts = SessionsParts::new();
    let stored: Arc<Mutex<Option<Session>>> = Arc::default();
    let sink = stored.clone();
    parts.sessions.expect_insert().times(1).returning(move |s| {
        *sink.lock().expect("lock") = Some(s);
        Ok(())
    });
    let codec = parts.codec.clone();
    let sessions = parts.build();
    let mut u = user("u1");
    u.accesses = vec![Access::Superadmin, Access::User];

    let pair = block_on(sessions.issue(&u, &client())).expect("issued");

    let s = stored.lock().expect("lock").clone().expect("inserted");
    assert_eq!(s.id, "id-1");
    assert_eq!(s.user_id, "u1");
    assert_eq!(s.refresh_hash, refresh_hash(&pair.refresh_token));
    assert_eq!(s.refresh_hash.len(), 64);
    assert_eq!(s.prev_refresh_hash, None);
    assert_eq!(s.created_at, t0());
    assert_eq!(s.last_used_at, t0());
    assert_eq!(s.expires_at, t0() + TimeDelta::days(30));
    assert_eq!(
        (s.ip.as_str(), s.user_agent.as_str()),
        ("10.0.0.7", "tests/1.0")
    );

    let access = codec.claims(&pair.access_token);
    assert_eq!(access.kind, TokenKind::Access);
    assert_eq!(access.session_id, "id-1");
    assert_eq!(access.user_id, "u1");
    assert_eq!(access.accesses, vec!["superadmin", "user"]);
    assert_eq!(access.jti, None);
    assert_eq!(access.issued_at, t0().timestamp());
    assert_eq!(
        access.expires_at,
        (t0() + TimeDelta::minutes(15)).timestamp()
    );
    let refresh = codec.claims(&pair.refresh_token);
    assert_eq!(refresh.kind, TokenKind::Refresh);
    assert_eq!(refresh.session_id, "id-1");
    assert_eq!(refresh.jti.as_deref(), Some("id-2"));
    assert_eq!(refresh.expires_at, (t0() + TimeDelta::days(30)).timestamp());
}

#[test]
fn issue_honours_configured_lifetimes() {
    let mut parts = SessionsParts::new();
    parts.policy.access_token_minutes = 5;
    parts.policy.refresh_token_days = 2;
    parts
        .sessions
        .expect_insert()
        .withf(|s| s.expires_at == t0() + TimeDelta::days(2))
        .times(1)
        .returning(|_| Ok(()));
    let codec = parts.codec.clone();
    let sessions = parts.build();
    let pair = block_on(sessions.issue(&user("u1"), &client())).expect("issued");
    assert_eq!(
        codec.claims(&pair.access_token).expires_at,
        (t0() + TimeDelta::minutes(5)).timestamp()
    );
}

#[test]
fn issue_reports_an_unavailable_store() {
    let mut parts = SessionsParts::new();
    parts
        .sessions
        .expect_insert()
        .returning(|_| Err(unavailable()));
    let sessions = parts.build();
    let err = block_on(sessions.issue(&user("u1"), &client())).expect_err("fails");
    assert!(matches!(err, DomainError::Unavailable(_)), "{err:?}");
}

// ---- authenticate ------------------------------------------------------------------

/// Parts whose stores answer `user` and `session` for one access token of s1.
fn auth_parts(u: User, s: Option<Session>) -> (SessionsParts, String) {
    let mut parts = SessionsParts::new();
    let token = parts.codec.mint(claims("u1", "s1", TokenKind::Access));
    parts
        .users
        .expect_get()
        .withf(|id| id == "u1")
        .returning(move |_| Ok(Some(u.clone())));
    parts
        .sessions
        .expect_get()
        .withf(|id| id == "s1")
        .returning(move |_| Ok(s.clone()));
    (parts, token)
}

#[test]
fn authenticate_uses_current_accesses_from_the_user_row() {
    // The token says "user"; the row now says superadmin: the row wins.
    let (parts, token) = auth_parts(superadmin("u1"), Some(session("s1", "u1")));
    let sessions = parts.build();
    let p = block_on(sessions.authenticate(&token)).expect("authenticated");
    assert_eq!(p.user.id, "u1");
    assert_eq!(p.session_id, "s1");
    assert!(p.is_superadmin());
    assert!(!p.is_guest());
}

#[test]
fn authenticate_rejects_unknown_token() {
    let sessions = SessionsParts::new().build();
    assert_err(
        block_on(sessions.authenticate("garbage")),
        "unauthorized",
        "Invalid token",
    );
}

#[test]
fn authenticate_rejects_a_refresh_token() {
    let parts = SessionsParts::new();
    let token = parts.codec.mint(claims("u1", "s1", TokenKind::Refresh));
    let sessions = parts.build();
    assert_err(
        block_on(sessions.authenticate(&token)),
        "unauthorized",
        "Invalid token",
    );
}

#[test]
fn authenticate_rejects_wrong_typ_even_if_the_codec_lets_it_through() {
    let mut codec = MockTokenCodec::new();
    codec
        .expect_verify()
        .returning(|_, _| Ok(claims("u1", "s1", TokenKind::Refresh)));
    let sessions = Sessions::new(
        Arc::new(bedrud_ports::MockUserStore::new()),
        Arc::new(bedrud_ports::MockSessionStore::new()),
        Arc::new(codec),
        TestClock::new(),
        Arc::new(SeqIds::default()),
        AuthPolicy::default(),
    );
    assert_err(
        block_on(sessions.authenticate("tok")),
        "unauthorized",
        "Invalid token",
    );
}

#[test]
fn authenticate_rejects_deleted_user() {
    let mut parts = SessionsParts::new();
    let token = parts.codec.mint(claims("u1", "s1", TokenKind::Access));
    parts.users.expect_get().returning(|_| Ok(None));
    parts.sessions.expect_get().never();
    let sessions = parts.build();
    assert_err(
        block_on(sessions.authenticate(&token)),
        "unauthorized",
        "Invalid token",
    );
}

#[test]
fn authenticate_reports_deactivation_before_the_session_check() {
    let mut parts = SessionsParts::new();
    let token = parts.codec.mint(claims("u1", "s1", TokenKind::Access));
    parts.users.expect_get().returning(|_| {
        Ok(Some(User {
            is_active: false,
            ..user("u1")
        }))
    });
    parts.sessions.expect_get().never();
    let sessions = parts.build();
    assert_err(
        block_on(sessions.authenticate(&token)),
        "forbidden",
        "Account is deactivated",
    );
}

#[test]
fn authenticate_rejects_missing_session() {
    let (parts, token) = auth_parts(user("u1"), None);
    assert_err(
        block_on(parts.build().authenticate(&token)),
        "unauthorized",
        "Invalid token",
    );
}

#[test]
fn authenticate_rejects_revoked_session() {
    let revoked = Session {
        revoked_at: Some(t0()),
        revoke_reason: Some("logout".into()),
        ..session("s1", "u1")
    };
    let (parts, token) = auth_parts(user("u1"), Some(revoked));
    assert_err(
        block_on(parts.build().authenticate(&token)),
        "unauthorized",
        "Invalid token",
    );
}

#[test]
fn authenticate_rejects_expired_session() {
    let expired = Session {
        expires_at: t0(),
        ..session("s1", "u1")
    };
    let (parts, token) = auth_parts(user("u1"), Some(expired));
    assert_err(
        block_on(parts.build().authenticate(&token)),
        "unauthorized",
        "Invalid token",
    );
}

#[test]
fn authenticate_rejects_session_of_another_user() {
    let (parts, token) = auth_parts(user("u1"), Some(session("s1", "u2")));
    assert_err(
        block_on(parts.build().authenticate(&token)),
        "unauthorized",
        "Invalid token",
    );
}

#[test]
fn authenticate_touches_a_session_idle_for_a_minute_once() {
    let idle = Session {
        last_used_at: t0() - TimeDelta::seconds(60),
        ..session("s1", "u1")
    };
    let (mut parts, token) = auth_parts(user("u1"), Some(idle));
    parts
        .sessions
        .expect_touch()
        .withf(|id, now| id == "s1" && *now == t0())
        .times(1)
        .returning(|_, _| Ok(()));
    let sessions = parts.build();
    block_on(sessions.authenticate(&token)).expect("first");
    // Served from the cache, whose copy now carries the new last_used_at.
    block_on(sessions.authenticate(&token)).expect("second");
}

#[test]
fn authenticate_does_not_touch_a_recently_used_session() {
    let recent = Session {
        last_used_at: t0() - TimeDelta::seconds(59),
        ..session("s1", "u1")
    };
    let (mut parts, token) = auth_parts(user("u1"), Some(recent));
    parts.sessions.expect_touch().never();
    block_on(parts.build().authenticate(&token)).expect("authenticated");
}

#[test]
fn authenticate_survives_a_failed_touch() {
    let idle = Session {
        last_used_at: t0() - TimeDelta::minutes(5),
        ..session("s1", "u1")
    };
    let (mut parts, token) = auth_parts(user("u1"), Some(idle));
    parts
        .sessions
        .expect_touch()
        .returning(|_, _| Err(unavailable()));
    block_on(parts.build().authenticate(&token)).expect("authenticated anyway");
}

#[test]
fn authenticate_caches_the_lookup_for_at_most_five_seconds() {
    let mut parts = SessionsParts::new();
    let token = parts.codec.mint(claims("u1", "s1", TokenKind::Access));
    parts
        .users
        .expect_get()
        .times(2)
        .returning(|_| Ok(Some(user("u1"))));
    parts
        .sessions
        .expect_get()
        .times(2)
        .returning(|_| Ok(Some(session("s1", "u1"))));
    let clock = parts.clock.clone();
    let sessions = parts.build();
    block_on(sessions.authenticate(&token)).expect("loads");
    clock.advance(TimeDelta::milliseconds(4_999));
    block_on(sessions.authenticate(&token)).expect("cached");
    clock.advance(TimeDelta::milliseconds(1));
    block_on(sessions.authenticate(&token)).expect("reloads");
}

#[test]
fn authenticate_without_cache_loads_every_time() {
    let mut parts = SessionsParts::new();
    parts.policy.session_cache_secs = 0;
    let token = parts.codec.mint(claims("u1", "s1", TokenKind::Access));
    parts
        .users
        .expect_get()
        .times(3)
        .returning(|_| Ok(Some(user("u1"))));
    parts
        .sessions
        .expect_get()
        .times(3)
        .returning(|_| Ok(Some(session("s1", "u1"))));
    let sessions = parts.build();
    for _ in 0..3 {
        block_on(sessions.authenticate(&token)).expect("loads");
    }
}

#[test]
fn cached_session_still_expires_on_time() {
    let short = Session {
        expires_at: t0() + TimeDelta::seconds(2),
        ..session("s1", "u1")
    };
    let (parts, token) = auth_parts(user("u1"), Some(short));
    let clock = parts.clock.clone();
    let sessions = parts.build();
    block_on(sessions.authenticate(&token)).expect("valid now");
    clock.advance(TimeDelta::seconds(2));
    assert_err(
        block_on(sessions.authenticate(&token)),
        "unauthorized",
        "Invalid token",
    );
}

#[test]
fn revoke_all_takes_effect_at_once_on_this_instance() {
    let mut parts = SessionsParts::new();
    let token = parts.codec.mint(claims("u1", "s1", TokenKind::Access));
    let live = Arc::new(Mutex::new(session("s1", "u1")));
    let read = live.clone();
    parts.users.expect_get().returning(|_| Ok(Some(user("u1"))));
    parts
        .sessions
        .expect_get()
        .returning(move |_| Ok(Some(read.lock().expect("lock").clone())));
    let write = live.clone();
    parts
        .sessions
        .expect_revoke_all()
        .withf(|uid, except, reason, now| {
            uid == "u1" && except.is_none() && reason == "force_logout" && *now == t0()
        })
        .times(1)
        .returning(move |_, _, _, now| {
            write.lock().expect("lock").revoked_at = Some(now);
            Ok(1)
        });
    let sessions = parts.build();
    block_on(sessions.authenticate(&token)).expect("live");
    assert_eq!(
        block_on(sessions.revoke_all("u1", None, revoke_reason::FORCE_LOGOUT)).expect("revoked"),
        1
    );
    assert_err(
        block_on(sessions.authenticate(&token)),
        "unauthorized",
        "Invalid token",
    );
}

#[test]
fn forget_user_drops_a_stale_name_at_once() {
    let mut parts = SessionsParts::new();
    let token = parts.codec.mint(claims("u1", "s1", TokenKind::Access));
    let row = Arc::new(Mutex::new(user("u1")));
    let read = row.clone();
    parts
        .users
        .expect_get()
        .times(2)
        .returning(move |_| Ok(Some(read.lock().expect("lock").clone())));
    parts
        .sessions
        .expect_get()
        .returning(|_| Ok(Some(session("s1", "u1"))));
    let sessions = parts.build();
    block_on(sessions.authenticate(&token)).expect("first");
    row.lock().expect("lock").name = "Renamed".into();
    sessions.forget_user("u1");
    let p = block_on(sessions.authenticate(&token)).expect("second");
    assert_eq!(p.user.name, "Renamed");
}

// ---- refresh -----------------------------------------------------------------------

#[test]
fn refresh_rotates_with_compare_and_set_and_fresh_user_data() {
    let mut parts = SessionsParts::new();
    let old = parts.codec.mint(claims("u1", "s1", TokenKind::Refresh));
    let current = session_for_token("s1", "u1", &old);
    parts
        .sessions
        .expect_get()
        .returning(move |_| Ok(Some(current.clone())));
    parts.users.expect_get().returning(|_| {
        Ok(Some(User {
            name: "Fresh Name".into(),
            accesses: vec![Access::Admin],
            ..user("u1")
        }))
    });
    let rotation: Arc<Mutex<Option<Rotation>>> = Arc::default();
    let sink = rotation.clone();
    parts.sessions.expect_rotate().times(1).returning(move |r| {
        *sink.lock().expect("lock") = Some(r);
        Ok(true)
    });
    parts.sessions.expect_revoke().never();
    let codec = parts.codec.clone();
    let clock = parts.clock.clone();
    clock.advance(TimeDelta::hours(1));
    let sessions = parts.build();

    let pair = block_on(sessions.refresh(&old, &client())).expect("rotated");

    let r = rotation.lock().expect("lock").clone().expect("rotated");
    let now = t0() + TimeDelta::hours(1);
    assert_eq!(r.session_id, "s1");
    assert_eq!(r.expected_hash, refresh_hash(&old));
    assert_eq!(r.new_hash, refresh_hash(&pair.refresh_token));
    assert_eq!(r.now, now);
    assert_eq!(r.expires_at, now + TimeDelta::days(30));
    assert_eq!(
        (r.ip.as_str(), r.user_agent.as_str()),
        ("10.0.0.7", "tests/1.0")
    );
    let access = codec.claims(&pair.access_token);
    assert_eq!(access.kind, TokenKind::Access);
    assert_eq!(access.session_id, "s1");
    assert_eq!(access.name, "Fresh Name");
    assert_eq!(access.accesses, vec!["admin"]);
    let refresh = codec.claims(&pair.refresh_token);
    assert_eq!(refresh.kind, TokenKind::Refresh);
    assert_ne!(pair.refresh_token, old);
}

fn refresh_err(sessions: &Sessions, token: &str) -> DomainError {
    match block_on(sessions.refresh(token, &client())) {
        Ok(pair) => panic!("expected failure, got {pair:?}"),
        Err(e) => e.into(),
    }
}

#[test]
fn refresh_rejects_bad_tokens_and_access_tokens() {
    let parts = SessionsParts::new();
    let access = parts.codec.mint(claims("u1", "s1", TokenKind::Access));
    let sessions = parts.build();
    for token in ["garbage", access.as_str()] {
        assert_eq!(
            describe(&refresh_err(&sessions, token)),
            ("unauthorized", INVALID_REFRESH.to_owned())
        );
    }
}

#[test]
fn refresh_rejects_unusable_sessions() {
    let cases: Vec<Option<Session>> = vec![
        None,
        Some(Session {
            revoked_at: Some(t0()),
            ..session("s1", "u1")
        }),
        Some(Session {
            expires_at: t0(),
            ..session("s1", "u1")
        }),
        Some(session("s1", "someone-else")),
    ];
    for case in cases {
        let mut parts = SessionsParts::new();
        let token = parts.codec.mint(claims("u1", "s1", TokenKind::Refresh));
        let case = case.map(|s| Session {
            refresh_hash: refresh_hash(&token),
            ..s
        });
        parts
            .sessions
            .expect_get()
            .returning(move |_| Ok(case.clone()));
        parts.sessions.expect_rotate().never();
        parts.sessions.expect_revoke().never();
        let sessions = parts.build();
        assert_eq!(
            describe(&refresh_err(&sessions, &token)),
            ("unauthorized", INVALID_REFRESH.to_owned())
        );
    }
}

#[test]
fn refresh_losing_the_compare_and_set_is_a_plain_401() {
    let mut parts = SessionsParts::new();
    let token = parts.codec.mint(claims("u1", "s1", TokenKind::Refresh));
    let current = session_for_token("s1", "u1", &token);
    parts
        .sessions
        .expect_get()
        .returning(move |_| Ok(Some(current.clone())));
    parts.users.expect_get().returning(|_| Ok(Some(user("u1"))));
    parts
        .sessions
        .expect_rotate()
        .times(1)
        .returning(|_| Ok(false));
    parts.sessions.expect_revoke().never();
    let sessions = parts.build();
    let err = block_on(sessions.refresh(&token, &client())).expect_err("lost");
    assert!(matches!(err, RefreshError::Domain(_)), "{err:?}");
    assert_eq!(
        describe(&err.into()),
        ("unauthorized", INVALID_REFRESH.to_owned())
    );
}

#[test]
fn refresh_with_just_replaced_token_is_a_lost_race_not_reuse() {
    let mut parts = SessionsParts::new();
    let token = parts.codec.mint(claims("u1", "s1", TokenKind::Refresh));
    let rotated = Session {
        refresh_hash: "newer".into(),
        prev_refresh_hash: Some(refresh_hash(&token)),
        rotated_at: Some(t0() - TimeDelta::seconds(9)),
        ..session("s1", "u1")
    };
    parts
        .sessions
        .expect_get()
        .returning(move |_| Ok(Some(rotated.clone())));
    parts.sessions.expect_revoke().never();
    parts.sessions.expect_rotate().never();
    let sessions = parts.build();
    let err = block_on(sessions.refresh(&token, &client())).expect_err("lost race");
    assert!(matches!(err, RefreshError::Domain(_)), "{err:?}");
}

#[test]
fn refresh_with_previous_token_after_grace_is_reuse() {
    let mut parts = SessionsParts::new();
    let token = parts.codec.mint(claims("u1", "s1", TokenKind::Refresh));
    let rotated = Session {
        refresh_hash: "newer".into(),
        prev_refresh_hash: Some(refresh_hash(&token)),
        rotated_at: Some(t0() - TimeDelta::seconds(10)),
        ..session("s1", "u1")
    };
    parts
        .sessions
        .expect_get()
        .returning(move |_| Ok(Some(rotated.clone())));
    parts
        .sessions
        .expect_revoke()
        .withf(|id, reason, now| id == "s1" && reason == "refresh_reuse" && *now == t0())
        .times(1)
        .returning(|_, _, _| Ok(true));
    parts.sessions.expect_rotate().never();
    let sessions = parts.build();
    let err = block_on(sessions.refresh(&token, &client())).expect_err("reuse");
    match &err {
        RefreshError::Reuse {
            session_id,
            user_id,
        } => assert_eq!((session_id.as_str(), user_id.as_str()), ("s1", "u1")),
        other => panic!("expected reuse, got {other:?}"),
    }
    assert_eq!(
        describe(&err.into()),
        ("unauthorized", INVALID_REFRESH.to_owned())
    );
}

#[test]
fn refresh_with_an_older_rotated_token_revokes_the_session() {
    let mut parts = SessionsParts::new();
    let ancient = parts.codec.mint(claims("u1", "s1", TokenKind::Refresh));
    let rotated = Session {
        refresh_hash: "current".into(),
        prev_refresh_hash: Some("previous".into()),
        rotated_at: Some(t0() - TimeDelta::seconds(1)),
        ..session("s1", "u1")
    };
    parts
        .sessions
        .expect_get()
        .returning(move |_| Ok(Some(rotated.clone())));
    parts
        .sessions
        .expect_revoke()
        .withf(|id, reason, _| id == "s1" && reason == "refresh_reuse")
        .times(1)
        .returning(|_, _, _| Ok(true));
    let sessions = parts.build();
    let err = block_on(sessions.refresh(&ancient, &client())).expect_err("reuse");
    assert!(matches!(err, RefreshError::Reuse { .. }), "{err:?}");
}

#[test]
fn refresh_of_a_deleted_user_is_user_not_found() {
    let mut parts = SessionsParts::new();
    let token = parts.codec.mint(claims("u1", "s1", TokenKind::Refresh));
    let current = session_for_token("s1", "u1", &token);
    parts
        .sessions
        .expect_get()
        .returning(move |_| Ok(Some(current.clone())));
    parts.users.expect_get().returning(|_| Ok(None));
    parts.sessions.expect_rotate().never();
    let sessions = parts.build();
    assert_eq!(
        describe(&refresh_err(&sessions, &token)),
        ("unauthorized", "User not found".to_owned())
    );
}

#[test]
fn refresh_of_a_deactivated_user_is_forbidden() {
    let mut parts = SessionsParts::new();
    let token = parts.codec.mint(claims("u1", "s1", TokenKind::Refresh));
    let current = session_for_token("s1", "u1", &token);
    parts
        .sessions
        .expect_get()
        .returning(move |_| Ok(Some(current.clone())));
    parts.users.expect_get().returning(|_| {
        Ok(Some(User {
            is_active: false,
            ..user("u1")
        }))
    });
    parts.sessions.expect_rotate().never();
    let sessions = parts.build();
    assert_eq!(
        describe(&refresh_err(&sessions, &token)),
        ("forbidden", "Account is deactivated".to_owned())
    );
}

/// Parts whose session store behaves like the real one for s1 (get, CAS rotate, revoke).
fn stateful_parts(initial: Session) -> (SessionsParts, Arc<Mutex<Session>>) {
    let mut parts = SessionsParts::new();
    let state = Arc::new(Mutex::new(initial));
    let s = state.clone();
    parts
        .sessions
        .expect_get()
        .returning(move |_| Ok(Some(s.lock().expect("lock").clone())));
    let s = state.clone();
    parts.sessions.expect_rotate().returning(move |r| {
        let mut row = s.lock().expect("lock");
        if row.revoked_at.is_some() || row.refresh_hash != r.expected_hash {
            return Ok(false);
        }
        row.prev_refresh_hash = Some(std::mem::replace(&mut row.refresh_hash, r.new_hash));
        row.rotated_at = Some(r.now);
        row.expires_at = r.expires_at;
        Ok(true)
    });
    let s = state.clone();
    parts
        .sessions
        .expect_revoke()
        .returning(move |_, reason, now| {
            let mut row = s.lock().expect("lock");
            row.revoked_at = Some(now);
            row.revoke_reason = Some(reason.to_owned());
            Ok(true)
        });
    parts.users.expect_get().returning(|_| Ok(Some(user("u1"))));
    (parts, state)
}

#[test]
fn rotation_chain_grace_and_reuse_end_to_end() {
    let parts = SessionsParts::new();
    let first = parts.codec.mint(claims("u1", "s1", TokenKind::Refresh));
    let codec = parts.codec.clone();
    let (mut parts, state) = stateful_parts(session_for_token("s1", "u1", &first));
    parts.codec = codec;
    let clock = parts.clock.clone();
    let sessions = parts.build();

    // The winner of a double refresh rotates; the loser (same token, < 10 s) gets a
    // plain 401 and the session stays valid.
    let second = block_on(sessions.refresh(&first, &client())).expect("winner");
    clock.advance(TimeDelta::seconds(3));
    let loser = block_on(sessions.refresh(&first, &client())).expect_err("loser");
    assert!(matches!(loser, RefreshError::Domain(_)), "{loser:?}");
    assert!(state.lock().expect("lock").revoked_at.is_none());

    // The new token keeps working.
    let third = block_on(sessions.refresh(&second.refresh_token, &client())).expect("rotates");
    assert_ne!(third.refresh_token, second.refresh_token);

    // Presenting the first token again is reuse: the session dies.
    let reuse = block_on(sessions.refresh(&first, &client())).expect_err("reuse");
    assert!(matches!(reuse, RefreshError::Reuse { .. }), "{reuse:?}");
    let row = state.lock().expect("lock").clone();
    assert_eq!(row.revoke_reason.as_deref(), Some("refresh_reuse"));

    // Even the latest token is now refused.
    let after = block_on(sessions.refresh(&third.refresh_token, &client())).expect_err("revoked");
    assert!(matches!(after, RefreshError::Domain(_)), "{after:?}");
}

#[test]
fn concurrent_refreshes_have_exactly_one_winner() {
    let parts = SessionsParts::new();
    let token = parts.codec.mint(claims("u1", "s1", TokenKind::Refresh));
    let codec = parts.codec.clone();
    let (mut parts, _state) = stateful_parts(session_for_token("s1", "u1", &token));
    parts.codec = codec;
    let sessions = parts.build();
    let (a, b) = block_on(futures::future::join(
        sessions.refresh(&token, &client()),
        sessions.refresh(&token, &client()),
    ));
    assert_eq!(
        [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{a:?} {b:?}"
    );
}

// ---- reissue -----------------------------------------------------------------------

#[test]
fn reissue_rotates_the_callers_session() {
    let mut parts = SessionsParts::new();
    parts
        .sessions
        .expect_get()
        .withf(|id| id == "s1")
        .returning(|_| Ok(Some(session("s1", "u1"))));
    parts
        .sessions
        .expect_rotate()
        .withf(|r| r.session_id == "s1" && r.expected_hash == "h0" && r.ip == "10.0.0.7")
        .times(1)
        .returning(|_| Ok(true));
    parts.sessions.expect_insert().never();
    let codec = parts.codec.clone();
    let sessions = parts.build();
    let u = User {
        email: "new@example.org".into(),
        ..user("u1")
    };
    let pair =
        block_on(sessions.reissue(&principal(user("u1"), "s1"), &u, &client())).expect("reissued");
    let access = codec.claims(&pair.access_token);
    assert_eq!(access.session_id, "s1");
    assert_eq!(access.email, "new@example.org");
}

#[test]
fn reissue_falls_back_to_a_new_session_when_a_refresh_won() {
    let mut parts = SessionsParts::new();
    parts
        .sessions
        .expect_get()
        .returning(|_| Ok(Some(session("s1", "u1"))));
    parts.sessions.expect_rotate().returning(|_| Ok(false));
    parts
        .sessions
        .expect_insert()
        .withf(|s| s.user_id == "u1" && s.id != "s1")
        .times(1)
        .returning(|_| Ok(()));
    parts
        .sessions
        .expect_revoke()
        .withf(|id, reason, _| id == "s1" && reason == "email_change")
        .times(1)
        .returning(|_, _, _| Ok(true));
    let codec = parts.codec.clone();
    let sessions = parts.build();
    let pair = block_on(sessions.reissue(&principal(user("u1"), "s1"), &user("u1"), &client()))
        .expect("reissued");
    assert_ne!(codec.claims(&pair.access_token).session_id, "s1");
}

// ---- logout ------------------------------------------------------------------------

#[test]
fn logout_revokes_the_callers_session() {
    let mut parts = SessionsParts::new();
    parts
        .sessions
        .expect_revoke()
        .withf(|id, reason, now| id == "s1" && reason == "logout" && *now == t0())
        .times(1)
        .returning(|_, _, _| Ok(true));
    let sessions = parts.build();
    block_on(sessions.logout(&principal(user("u1"), "s1"), None)).expect("logged out");
}

#[test]
fn logout_also_revokes_the_session_of_a_supplied_refresh_token() {
    let mut parts = SessionsParts::new();
    let other = parts.codec.mint(claims("u1", "s2", TokenKind::Refresh));
    parts
        .sessions
        .expect_get()
        .withf(|id| id == "s2")
        .returning(|_| Ok(Some(session("s2", "u1"))));
    let revoked: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = revoked.clone();
    parts
        .sessions
        .expect_revoke()
        .times(2)
        .returning(move |id, reason, _| {
            assert_eq!(reason, "logout");
            sink.lock().expect("lock").push(id.to_owned());
            Ok(true)
        });
    let sessions = parts.build();
    block_on(sessions.logout(&principal(user("u1"), "s1"), Some(&other))).expect("logged out");
    assert_eq!(*revoked.lock().expect("lock"), vec!["s1", "s2"]);
}

#[test]
fn logout_ignores_tokens_of_others_invalid_tokens_and_access_tokens() {
    let parts = SessionsParts::new();
    let foreign = parts.codec.mint(claims("u2", "s9", TokenKind::Refresh));
    let access = parts.codec.mint(claims("u1", "s2", TokenKind::Access));
    let codec = parts.codec.clone();
    for supplied in [foreign.as_str(), access.as_str(), "garbage", ""] {
        let mut parts = SessionsParts::new();
        parts.codec = codec.clone();
        parts.sessions.expect_get().never();
        parts
            .sessions
            .expect_revoke()
            .withf(|id, _, _| id == "s1")
            .times(1)
            .returning(|_, _, _| Ok(true));
        let sessions = parts.build();
        block_on(sessions.logout(&principal(user("u1"), "s1"), Some(supplied)))
            .expect("logged out");
    }
}

#[test]
fn logout_ignores_a_token_whose_session_belongs_to_someone_else() {
    let mut parts = SessionsParts::new();
    let odd = parts.codec.mint(claims("u1", "s2", TokenKind::Refresh));
    parts
        .sessions
        .expect_get()
        .returning(|_| Ok(Some(session("s2", "u2"))));
    parts
        .sessions
        .expect_revoke()
        .withf(|id, _, _| id == "s1")
        .times(1)
        .returning(|_, _, _| Ok(true));
    let sessions = parts.build();
    block_on(sessions.logout(&principal(user("u1"), "s1"), Some(&odd))).expect("logged out");
}

// ---- revoke_all / activity -----------------------------------------------------------

#[test]
fn revoke_all_can_spare_one_session() {
    let mut parts = SessionsParts::new();
    parts
        .sessions
        .expect_revoke_all()
        .withf(|uid, except, reason, _| {
            uid == "u1" && except.as_deref() == Some("s1") && reason == "password_change"
        })
        .times(1)
        .returning(|_, _, _, _| Ok(3));
    let sessions = parts.build();
    assert_eq!(
        block_on(sessions.revoke_all("u1", Some("s1"), revoke_reason::PASSWORD_CHANGE))
            .expect("revoked"),
        3
    );
}

#[test]
fn activity_reports_the_store_summary() {
    let mut parts = SessionsParts::new();
    parts
        .sessions
        .expect_user_summary()
        .withf(|uid, now| uid == "u1" && *now == t0())
        .returning(|_, _| Ok((2, Some(t0()))));
    let sessions = parts.build();
    assert_eq!(
        block_on(sessions.activity("u1")).expect("summary"),
        (2, Some(t0()))
    );
}
