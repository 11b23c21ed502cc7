use bedrud_ports::{User, provider};

use super::*;
use crate::testkit::user_with_provider;

fn owning(p: &mut Parts, keys: Vec<Passkey>) {
    p.passkeys
        .expect_list_for_user()
        .withf(|id| id == "u1")
        .returning(move |_| Ok(keys.clone()));
}

fn passkey_user_without_password() -> Principal {
    principal(user_with_provider("u1", provider::PASSKEY), "s1")
}

#[test]
fn list_returns_the_callers_passkeys() {
    let mut p = Parts::new();
    owning(&mut p, vec![passkey("b", "u1", 0), passkey("a", "u1", 3)]);
    let (passkeys, _) = p.build();
    let listed = block_on(passkeys.list(&principal(user("u1"), "s1"))).expect("listed");
    let ids: Vec<&str> = listed.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["b", "a"]);
}

#[test]
fn delete_removes_an_own_passkey() {
    let mut p = Parts::new();
    owning(&mut p, vec![passkey("a", "u1", 0)]);
    p.passkeys
        .expect_delete()
        .withf(|id, user| id == "a" && user == "u1")
        .times(1)
        .returning(|_, _| Ok(true));
    let (passkeys, _) = p.build();
    // A local account keeps its password, so its last passkey may go.
    block_on(passkeys.delete(&principal(user("u1"), "s1"), "a")).expect("deleted");
}

#[test]
fn delete_of_a_passkey_not_owned_is_404() {
    let mut p = Parts::new();
    owning(&mut p, vec![passkey("a", "u1", 0)]);
    p.passkeys.expect_delete().never();
    let (passkeys, _) = p.build();
    for id in ["someone-elses", "not-a-uuid", ""] {
        assert_err(
            block_on(passkeys.delete(&principal(user("u1"), "s1"), id)),
            "not_found",
            "Passkey not found",
        );
    }
}

#[test]
fn the_last_passkey_of_a_password_less_passkey_account_stays() {
    let mut p = Parts::new();
    owning(&mut p, vec![passkey("a", "u1", 0)]);
    p.passkeys.expect_delete().never();
    let (passkeys, _) = p.build();
    assert_err(
        block_on(passkeys.delete(&passkey_user_without_password(), "a")),
        "conflict",
        "Cannot delete your only sign-in method",
    );
}

#[test]
fn a_passkey_account_may_delete_all_but_one_or_any_with_a_password() {
    let mut p = Parts::new();
    owning(&mut p, vec![passkey("a", "u1", 0), passkey("b", "u1", 0)]);
    p.passkeys.expect_delete().returning(|_, _| Ok(true));
    let (passkeys, _) = p.build();
    block_on(passkeys.delete(&passkey_user_without_password(), "a")).expect("deleted");

    let mut p = Parts::new();
    owning(&mut p, vec![passkey("a", "u1", 0)]);
    p.passkeys.expect_delete().returning(|_, _| Ok(true));
    let (passkeys, _) = p.build();
    let with_password = principal(
        User {
            password_hash: Some("hash".into()),
            ..user_with_provider("u1", provider::PASSKEY)
        },
        "s1",
    );
    block_on(passkeys.delete(&with_password, "a")).expect("deleted");
}

#[test]
fn a_passkey_deleted_concurrently_is_404() {
    let mut p = Parts::new();
    owning(&mut p, vec![passkey("a", "u1", 0)]);
    p.passkeys.expect_delete().returning(|_, _| Ok(false));
    let (passkeys, _) = p.build();
    assert_err(
        block_on(passkeys.delete(&principal(user("u1"), "s1"), "a")),
        "not_found",
        "Passkey not found",
    );
}

#[test]
fn store_failures_are_503() {
    let mut p = Parts::new();
    p.passkeys
        .expect_list_for_user()
        .returning(|_| Err(unavailable()));
    let (passkeys, _) = p.build();
    assert_err(
        block_on(passkeys.list(&principal(user("u1"), "s1"))),
        "unavailable",
        "",
    );
}
