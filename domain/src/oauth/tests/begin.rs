use crate::ceremonies::pkce_challenge;

use super::*;

#[test]
fn begin_stores_a_ten_minute_flow_bound_to_a_fresh_cookie() {
    let mut p = Parts::new();
    // Tokens in order: state, binding, PKCE verifier, nonce.
    p.providers
        .expect_authorization_url()
        .withf(|provider, params| {
            provider == "keycloak"
                && params.state == token(1)
                && params.pkce_challenge == pkce_challenge(&token(3))
                && params.nonce == token(4)
        })
        .times(1)
        .returning(|_, _| Ok("https://idp/authorize?x=1".into()));
    let (stored, cell) = sink::<Ceremony>();
    p.ceremonies.expect_insert().times(1).returning(move |c| {
        *cell.lock().expect("lock") = Some(c);
        Ok(())
    });
    let (oauth, _) = p.build();

    let start = block_on(oauth.begin("keycloak", Some("/rooms/abc?x=1"))).expect("begun");

    assert_eq!(start.authorization_url, "https://idp/authorize?x=1");
    assert_eq!(start.binding, token(2));
    let c = stored.lock().expect("lock").clone().expect("stored");
    assert_eq!(c.id, sha256_hex(&token(1)));
    assert_eq!(c.kind, CeremonyKind::OAuth);
    assert_eq!(c.user_id, None);
    assert_eq!(c.binding_hash, Some(sha256_hex(&token(2))));
    assert_eq!(
        (c.created_at, c.expires_at),
        (t0(), t0() + TimeDelta::minutes(10))
    );
    let payload: serde_json::Value = serde_json::from_str(&c.payload).expect("json");
    assert_eq!(
        payload,
        json!({"provider": "keycloak", "pkce_verifier": token(3), "nonce": token(4),
               "redirect": "/rooms/abc?x=1"})
    );
}

#[test]
fn unsafe_redirects_are_dropped() {
    for redirect in [
        "//evil.example",
        "https://evil.example/",
        "/a\\b",
        "rooms",
        "/a\r\nSet-Cookie: x",
        "",
    ] {
        let mut p = Parts::new();
        p.providers
            .expect_authorization_url()
            .returning(|_, _| Ok("https://idp/authorize".into()));
        let (stored, cell) = sink::<Ceremony>();
        p.ceremonies.expect_insert().returning(move |c| {
            *cell.lock().expect("lock") = Some(c);
            Ok(())
        });
        let (oauth, _) = p.build();
        block_on(oauth.begin("google", Some(redirect))).expect("begun");
        let c = stored.lock().expect("lock").clone().expect("stored");
        let payload: serde_json::Value = serde_json::from_str(&c.payload).expect("json");
        assert_eq!(payload["redirect"], json!(null), "{redirect:?}");
    }
}

#[test]
fn redirect_rule() {
    assert!(is_safe_redirect("/"));
    assert!(is_safe_redirect("/rooms/abc-def?join=1#x"));
    assert!(!is_safe_redirect("//x"));
    assert!(!is_safe_redirect("/\\x"));
    assert!(!is_safe_redirect("x/"));
    assert!(!is_safe_redirect(&format!("/{}", "a".repeat(2048))));
}

#[test]
fn unknown_or_disabled_providers_are_404_before_any_port_call() {
    let (oauth, _) = Parts::new().build();
    for provider in ["github", "local", "", "GOOGLE"] {
        assert_flow_err(
            block_on(oauth.begin(provider, None)),
            "not_found",
            "Unsupported OAuth provider",
        );
    }
}

#[test]
fn a_provider_the_adapter_does_not_know_is_404() {
    let mut p = Parts::new();
    p.providers
        .expect_authorization_url()
        .returning(|_, _| Err(OAuthError::UnknownProvider));
    p.ceremonies.expect_insert().never();
    let (oauth, _) = p.build();
    assert_flow_err(
        block_on(oauth.begin("google", None)),
        "not_found",
        "Unsupported OAuth provider",
    );
}

#[test]
fn discovery_failure_is_a_502_and_stores_nothing() {
    let mut p = Parts::new();
    p.providers
        .expect_authorization_url()
        .returning(|_, _| Err(OAuthError::DiscoveryFailed(anyhow::anyhow!("timeout"))));
    p.ceremonies.expect_insert().never();
    let (oauth, _) = p.build();
    assert_upstream(
        block_on(oauth.begin("keycloak", None)),
        "Failed to begin authentication",
    );
}

#[test]
fn a_store_failure_is_a_503() {
    let mut p = Parts::new();
    p.providers
        .expect_authorization_url()
        .returning(|_, _| Ok("https://idp/authorize".into()));
    p.ceremonies
        .expect_insert()
        .returning(|_| Err(StoreError::Unavailable(anyhow::anyhow!("down"))));
    let (oauth, _) = p.build();
    assert_flow_err(block_on(oauth.begin("google", None)), "unavailable", "");
}
