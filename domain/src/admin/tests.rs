use std::sync::Arc;

use bedrud_ports::{MockUserStore, Order, UserQuery, UserSort};
use chrono::TimeDelta;

use super::*;
use crate::testkit::*;

struct Parts {
    users: MockUserStore,
    sessions: SessionsParts,
    policy: AuthPolicy,
}

impl Parts {
    fn new() -> Self {
        Parts {
            users: MockUserStore::new(),
            sessions: SessionsParts::new(),
            policy: AuthPolicy::default(),
        }
    }

    /// No store may be touched (a guard must stop the call first).
    fn untouched() -> Self {
        let mut p = Parts::new();
        p.users.expect_list().never();
        p.users.expect_get().never();
        p.users.expect_set_active().never();
        p.users.expect_set_accesses().never();
        p.sessions.sessions.expect_revoke_all().never();
        p.sessions.sessions.expect_user_summary().never();
        p
    }

    fn expect_revoke_all(&mut self, user_id: &'static str, reason: &'static str) {
        self.sessions
            .sessions
            .expect_revoke_all()
            .withf(move |uid, except, r, now| {
                uid == user_id && except.is_none() && r == reason && *now == t0()
            })
            .times(1)
            .returning(|_, _, _, _| Ok(2));
    }

    fn build(self) -> Admin {
        let clock = self.sessions.clock.clone();
        Admin::new(
            Arc::new(self.users),
            Arc::new(self.sessions.build()),
            clock,
            self.policy,
        )
    }
}

fn root() -> Principal {
    principal(superadmin("root"), "s-root")
}

// ---- the superadmin guard --------------------------------------------------------------

#[test]
fn only_superadmins_may_administer() {
    let admin_only = User {
        accesses: vec![Access::Admin, Access::Moderator, Access::User],
        ..user("a1")
    };
    let inactive_root = User {
        is_active: false,
        ..superadmin("r2")
    };
    for who in [
        user("u1"),
        admin_only,
        user_with_provider("g1", "guest"),
        inactive_root,
    ] {
        let caller = principal(who, "s1");
        let forbidden =
            |r: Result<(), DomainError>| assert_err(r, "forbidden", "Insufficient access rights");
        let admin = Parts::untouched().build();
        forbidden(block_on(admin.list_users(&caller, &UserListParams::default())).map(|_| ()));
        forbidden(block_on(admin.user_detail(&caller, "u2")).map(|_| ()));
        forbidden(block_on(admin.set_status(&caller, "u2", false)));
        forbidden(block_on(admin.set_accesses(&caller, "u2", &["user".into()])).map(|_| ()));
        forbidden(block_on(admin.force_logout(&caller, "u2")).map(|_| ()));
    }
}

// ---- list ----------------------------------------------------------------------------

#[test]
fn list_users_passes_the_validated_query() {
    let mut p = Parts::new();
    p.policy.oauth_providers = vec!["keycloak".into()];
    p.users
        .expect_list()
        .withf(|q| {
            *q == UserQuery {
                q: Some("ali".into()),
                providers: vec!["keycloak".into()],
                roles: vec![Access::Admin],
                active: Some(true),
                verified: Some(false),
                created_since: Some(t0() - TimeDelta::days(30)),
                sort: UserSort::Name,
                order: Order::Asc,
                offset: 40,
                limit: 20,
            }
        })
        .times(1)
        .returning(|_| Ok((vec![user("u1"), user("u2")], 42)));
    let admin = p.build();
    let page = block_on(admin.list_users(
        &root(),
        &UserListParams {
            page: Some("3".into()),
            limit: Some("20".into()),
            q: Some("ali".into()),
            provider: Some("keycloak".into()),
            role: Some("admin".into()),
            status: Some("active".into()),
            verified: Some("false".into()),
            created: Some("30d".into()),
            sort: Some("name".into()),
            order: Some("asc".into()),
        },
    ))
    .expect("page");
    assert_eq!(page.total, 42);
    assert_eq!((page.page, page.limit), (3, 20));
    assert_eq!(
        page.users.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(),
        vec!["u1", "u2"]
    );
}

#[test]
fn list_users_rejects_bad_parameters_before_querying() {
    let mut p = Parts::new();
    p.users.expect_list().never();
    let admin = p.build();
    assert_err(
        block_on(admin.list_users(
            &root(),
            &UserListParams {
                provider: Some("myspace".into()),
                ..UserListParams::default()
            },
        )),
        "invalid",
        "Invalid provider: myspace",
    );
}

// ---- detail --------------------------------------------------------------------------

#[test]
fn user_detail_includes_session_activity() {
    let mut p = Parts::new();
    p.users.expect_get().withf(|id| id == "u1").returning(|_| {
        Ok(Some(User {
            accesses: vec![Access::Admin],
            ..user("u1")
        }))
    });
    p.sessions
        .sessions
        .expect_user_summary()
        .withf(|uid, now| uid == "u1" && *now == t0())
        .returning(|_, _| Ok((3, Some(t0() - TimeDelta::minutes(2)))));
    let admin = p.build();
    let detail = block_on(admin.user_detail(&root(), "u1")).expect("detail");
    assert_eq!(detail.user.id, "u1");
    assert!(detail.is_admin);
    assert_eq!(detail.active_sessions, 3);
    assert_eq!(detail.last_seen_at, Some(t0() - TimeDelta::minutes(2)));
}

#[test]
fn user_detail_of_unknown_user_is_404() {
    let mut p = Parts::new();
    p.users.expect_get().returning(|_| Ok(None));
    p.sessions.sessions.expect_user_summary().never();
    let admin = p.build();
    assert_err(
        block_on(admin.user_detail(&root(), "nope")),
        "not_found",
        "User not found",
    );
}

#[test]
fn is_admin_means_the_admin_role() {
    assert!(!is_admin(&superadmin("r")));
    assert!(!is_admin(&user("u")));
    assert!(is_admin(&User {
        accesses: vec![Access::Admin],
        ..user("a")
    }));
}

// ---- status --------------------------------------------------------------------------

#[test]
fn nobody_changes_their_own_status() {
    for active in [true, false] {
        let admin = Parts::untouched().build();
        assert_err(
            block_on(admin.set_status(&root(), "root", active)),
            "invalid",
            "Cannot change your own status",
        );
    }
}

#[test]
fn deactivation_revokes_all_sessions() {
    let mut p = Parts::new();
    p.users
        .expect_set_active()
        .withf(|id, active, now| id == "u1" && !*active && *now == t0())
        .times(1)
        .returning(|_, _, _| Ok(GuardedUpdate::Updated));
    p.expect_revoke_all("u1", "deactivated");
    let admin = p.build();
    block_on(admin.set_status(&root(), "u1", false)).expect("deactivated");
}

#[test]
fn activation_revokes_nothing() {
    let mut p = Parts::new();
    p.users
        .expect_set_active()
        .withf(|id, active, _| id == "u1" && *active)
        .times(1)
        .returning(|_, _, _| Ok(GuardedUpdate::Updated));
    p.sessions.sessions.expect_revoke_all().never();
    let admin = p.build();
    block_on(admin.set_status(&root(), "u1", true)).expect("activated");
}

#[test]
fn status_of_unknown_user_is_404() {
    let mut p = Parts::new();
    p.users
        .expect_set_active()
        .returning(|_, _, _| Ok(GuardedUpdate::NotFound));
    p.sessions.sessions.expect_revoke_all().never();
    let admin = p.build();
    assert_err(
        block_on(admin.set_status(&root(), "nope", false)),
        "not_found",
        "User not found",
    );

    let mut p = Parts::new();
    p.users
        .expect_set_active()
        .returning(|_, _, _| Err(StoreError::NotFound));
    let admin = p.build();
    assert_err(
        block_on(admin.set_status(&root(), "nope", true)),
        "not_found",
        "User not found",
    );
}

#[test]
fn the_last_superadmin_cannot_be_deactivated() {
    let mut p = Parts::new();
    p.users
        .expect_set_active()
        .returning(|_, _, _| Ok(GuardedUpdate::LastSuperadmin));
    p.sessions.sessions.expect_revoke_all().never();
    let admin = p.build();
    assert_err(
        block_on(admin.set_status(&root(), "other-root", false)),
        "conflict",
        "Cannot deactivate the last superadmin",
    );
}

// ---- accesses ------------------------------------------------------------------------

fn roles(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn accesses_are_validated_before_the_self_check() {
    let admin = Parts::untouched().build();
    assert_err(
        block_on(admin.set_accesses(&root(), "root", &roles(&["user", "root"]))),
        "invalid",
        "Invalid access role: root",
    );
    let admin = Parts::untouched().build();
    assert_err(
        block_on(admin.set_accesses(&root(), "u1", &roles(&["Admin"]))),
        "invalid",
        "Invalid access role: Admin",
    );
}

#[test]
fn nobody_changes_their_own_accesses() {
    let admin = Parts::untouched().build();
    assert_err(
        block_on(admin.set_accesses(&root(), "root", &roles(&["superadmin"]))),
        "invalid",
        "Cannot modify your own access levels",
    );
}

#[test]
fn accesses_are_deduplicated_and_sessions_revoked() {
    let mut p = Parts::new();
    p.users
        .expect_set_accesses()
        .withf(|id, accesses, now| {
            id == "u1" && *accesses == vec![Access::Admin, Access::User] && *now == t0()
        })
        .times(1)
        .returning(|_, _, _| Ok(GuardedUpdate::Updated));
    p.expect_revoke_all("u1", "accesses_changed");
    let admin = p.build();
    let stored = block_on(admin.set_accesses(&root(), "u1", &roles(&["admin", "user", "admin"])))
        .expect("updated");
    assert_eq!(stored, vec![Access::Admin, Access::User]);
}

#[test]
fn accesses_may_be_emptied() {
    let mut p = Parts::new();
    p.users
        .expect_set_accesses()
        .withf(|_, accesses, _| accesses.is_empty())
        .times(1)
        .returning(|_, _, _| Ok(GuardedUpdate::Updated));
    p.expect_revoke_all("u1", "accesses_changed");
    let admin = p.build();
    block_on(admin.set_accesses(&root(), "u1", &[])).expect("emptied");
}

#[test]
fn accesses_of_unknown_user_is_404() {
    let mut p = Parts::new();
    p.users
        .expect_set_accesses()
        .returning(|_, _, _| Ok(GuardedUpdate::NotFound));
    p.sessions.sessions.expect_revoke_all().never();
    let admin = p.build();
    assert_err(
        block_on(admin.set_accesses(&root(), "nope", &roles(&["user"]))),
        "not_found",
        "User not found",
    );
}

#[test]
fn the_last_superadmin_cannot_be_demoted() {
    let mut p = Parts::new();
    p.users
        .expect_set_accesses()
        .returning(|_, _, _| Ok(GuardedUpdate::LastSuperadmin));
    p.sessions.sessions.expect_revoke_all().never();
    let admin = p.build();
    assert_err(
        block_on(admin.set_accesses(&root(), "other-root", &roles(&["user"]))),
        "conflict",
        "Cannot demote the last superadmin",
    );
}

// ---- force logout --------------------------------------------------------------------

#[test]
fn force_logout_revokes_every_session() {
    let mut p = Parts::new();
    p.users
        .expect_get()
        .withf(|id| id == "u1")
        .returning(|_| Ok(Some(user("u1"))));
    p.expect_revoke_all("u1", "force_logout");
    p.users.expect_set_active().never();
    let admin = p.build();
    assert_eq!(
        block_on(admin.force_logout(&root(), "u1")).expect("revoked"),
        2
    );
}

#[test]
fn force_logout_of_unknown_user_is_404() {
    let mut p = Parts::new();
    p.users.expect_get().returning(|_| Ok(None));
    p.sessions.sessions.expect_revoke_all().never();
    let admin = p.build();
    assert_err(
        block_on(admin.force_logout(&root(), "nope")),
        "not_found",
        "User not found",
    );
}
