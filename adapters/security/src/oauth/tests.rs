//! The provider adapter against a fake identity provider over real HTTP.

use std::collections::HashMap;

use bedrud_ports::{AuthorizationParams, CodeExchange, OAuthError, OAuthProfile, OAuthProviders};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::*;
use bedrud_tests::fake_idp::{Account, CLIENT_ID, CLIENT_SECRET, FakeIdp, REDIRECT, Tweak};

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const NONCE: &str = "n-0S6_WzA2Mj";

fn challenge(verifier: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn params(state: &str) -> AuthorizationParams {
    AuthorizationParams {
        state: state.into(),
        pkce_challenge: challenge(VERIFIER),
        nonce: NONCE.into(),
    }
}

fn config(name: &str, kind: ProviderKind, idp: &FakeIdp) -> ProviderConfig {
    let base = &idp.base;
    let endpoints = match kind {
        ProviderKind::Oidc => EndpointOverrides::default(),
        ProviderKind::Google => EndpointOverrides {
            authorization_url: Some(format!("{base}/authorize")),
            token_url: Some(format!("{base}/token")),
            jwks_url: Some(format!("{base}/jwks")),
            issuer: Some(base.clone()),
            ..EndpointOverrides::default()
        },
        ProviderKind::Github => EndpointOverrides {
            authorization_url: Some(format!("{base}/authorize")),
            token_url: Some(format!("{base}/token")),
            profile_url: Some(format!("{base}/user")),
            emails_url: Some(format!("{base}/user/emails")),
            ..EndpointOverrides::default()
        },
        ProviderKind::Twitter => EndpointOverrides {
            authorization_url: Some(format!("{base}/authorize")),
            token_url: Some(format!("{base}/token")),
            profile_url: Some(format!("{base}/2/users/me")),
            ..EndpointOverrides::default()
        },
    };
    ProviderConfig {
        name: name.into(),
        kind,
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        redirect_url: REDIRECT.into(),
        issuer: if kind == ProviderKind::Oidc {
            format!("{base}/")
        } else {
            String::new()
        },
        scopes: Vec::new(),
        endpoints,
    }
}

fn clients(configs: Vec<ProviderConfig>) -> OAuthClients {
    OAuthClients::new(configs).expect("valid config")
}

/// The query of a URL as a map.
fn query(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .expect("url")
        .query_pairs()
        .into_owned()
        .collect()
}

/// Plays the browser: follows the authorisation URL to the provider, which answers with
/// a redirect to our callback; returns the callback's query.
async fn authorize(url: &str) -> HashMap<String, String> {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let response = browser.get(url).send().await.expect("provider answers");
    assert_eq!(response.status(), reqwest::StatusCode::FOUND, "{url}");
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_owned();
    assert!(location.starts_with(REDIRECT), "{location}");
    query(&location)
}

/// A whole flow with `provider`: authorisation URL, the provider's redirect, exchange.
async fn sign_in(clients: &OAuthClients, provider: &str) -> Result<OAuthProfile, OAuthError> {
    let url = clients
        .authorization_url(provider, &params("st-1"))
        .await
        .expect("authorization url");
    let callback = authorize(&url).await;
    assert_eq!(callback.get("state").map(String::as_str), Some("st-1"));
    clients
        .exchange(
            provider,
            &CodeExchange {
                code: callback["code"].clone(),
                pkce_verifier: VERIFIER.into(),
                nonce: NONCE.into(),
            },
        )
        .await
}

/// Asserts an ID token rejection whose cause mentions `needle`.
#[track_caller]
fn assert_invalid_id_token(result: Result<OAuthProfile, OAuthError>, needle: &str) {
    match result {
        Err(OAuthError::InvalidIdToken(cause)) => {
            let text = format!("{cause:#}");
            assert!(text.contains(needle), "{text}");
        }
        other => panic!("expected an invalid ID token ({needle}), got {other:?}"),
    }
}

// ---- OpenID Connect --------------------------------------------------------------------

#[tokio::test]
async fn oidc_authorization_url_carries_pkce_state_nonce_and_scopes() {
    let idp = FakeIdp::start().await;
    let c = clients(vec![config("keycloak", ProviderKind::Oidc, &idp)]);
    let url = c
        .authorization_url("keycloak", &params("the-state"))
        .await
        .expect("url");
    assert!(
        url.starts_with(&format!("{}/authorize?", idp.base)),
        "{url}"
    );
    let q = query(&url);
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["redirect_uri"], REDIRECT);
    assert_eq!(q["scope"], "openid email profile");
    assert_eq!(q["state"], "the-state");
    assert_eq!(q["code_challenge"], challenge(VERIFIER));
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["nonce"], NONCE);
}

#[tokio::test]
async fn oidc_full_code_exchange_with_a_signed_id_token() {
    let idp = FakeIdp::start().await;
    let c = clients(vec![config("keycloak", ProviderKind::Oidc, &idp)]);
    let profile = sign_in(&c, "keycloak").await.expect("signed in");
    assert_eq!(
        profile,
        OAuthProfile {
            subject: "user-42".into(),
            email: Some("alice@example.org".into()),
            email_verified: true,
            name: "Alice Liddell".into(),
            avatar_url: "https://img.example.org/alice.png".into(),
        }
    );
    // Discovery said client_secret_basic.
    assert_eq!(idp.token_auth(), ["basic"]);
    // A second flow reuses the cached discovery and keys.
    sign_in(&c, "keycloak").await.expect("again");
    assert_eq!(idp.jwks_fetches(), 1);
}

#[tokio::test]
async fn a_wrong_nonce_is_rejected() {
    let idp = FakeIdp::start().await;
    let c = clients(vec![config("keycloak", ProviderKind::Oidc, &idp)]);
    idp.tweak(Tweak {
        nonce: Some("someone-elses-nonce".into()),
        ..Tweak::default()
    });
    assert_invalid_id_token(sign_in(&c, "keycloak").await, "nonce mismatch");
}

#[tokio::test]
async fn a_wrong_audience_is_rejected() {
    let idp = FakeIdp::start().await;
    let c = clients(vec![config("keycloak", ProviderKind::Oidc, &idp)]);
    idp.tweak(Tweak {
        aud: Some(json!("another-client")),
        ..Tweak::default()
    });
    assert_invalid_id_token(sign_in(&c, "keycloak").await, "InvalidAudience");
}

#[tokio::test]
async fn several_audiences_need_azp_to_be_us() {
    let idp = FakeIdp::start().await;
    let c = clients(vec![config("keycloak", ProviderKind::Oidc, &idp)]);
    idp.tweak(Tweak {
        aud: Some(json!([CLIENT_ID, "another-client"])),
        ..Tweak::default()
    });
    assert_invalid_id_token(sign_in(&c, "keycloak").await, "azp");
    idp.tweak(Tweak {
        aud: Some(json!([CLIENT_ID, "another-client"])),
        azp: Some(CLIENT_ID.into()),
        ..Tweak::default()
    });
    sign_in(&c, "keycloak").await.expect("azp is us");
}

#[tokio::test]
async fn an_expired_id_token_is_rejected() {
    let idp = FakeIdp::start().await;
    let c = clients(vec![config("keycloak", ProviderKind::Oidc, &idp)]);
    idp.tweak(Tweak {
        exp_in: Some(-120),
        ..Tweak::default()
    });
    assert_invalid_id_token(sign_in(&c, "keycloak").await, "ExpiredSignature");
}

#[tokio::test]
async fn a_foreign_issuer_is_rejected() {
    let idp = FakeIdp::start().await;
    let c = clients(vec![config("keycloak", ProviderKind::Oidc, &idp)]);
    idp.tweak(Tweak {
        iss: Some("https://evil.example.org".into()),
        ..Tweak::default()
    });
    assert_invalid_id_token(sign_in(&c, "keycloak").await, "InvalidIssuer");
}

#[tokio::test]
async fn a_signature_by_another_key_is_rejected() {
    let idp = FakeIdp::start().await;
    let c = clients(vec![config("keycloak", ProviderKind::Oidc, &idp)]);
    idp.tweak(Tweak {
        foreign_key: true,
        ..Tweak::default()
    });
    assert_invalid_id_token(sign_in(&c, "keycloak").await, "InvalidSignature");
}

#[tokio::test]
async fn an_hmac_signed_id_token_is_rejected() {
    let idp = FakeIdp::start().await;
    let c = clients(vec![config("keycloak", ProviderKind::Oidc, &idp)]);
    idp.tweak(Tweak {
        hs256: true,
        ..Tweak::default()
    });
    assert_invalid_id_token(sign_in(&c, "keycloak").await, "not allowed");
}

#[tokio::test]
async fn a_token_response_without_id_token_is_rejected() {
    let idp = FakeIdp::start().await;
    let c = clients(vec![config("keycloak", ProviderKind::Oidc, &idp)]);
    idp.tweak(Tweak {
        no_id_token: true,
        ..Tweak::default()
    });
    assert_invalid_id_token(sign_in(&c, "keycloak").await, "no id_token");
}

#[tokio::test]
async fn rotated_keys_are_fetched_again() {
    let idp = FakeIdp::start().await;
    let c = clients(vec![config("keycloak", ProviderKind::Oidc, &idp)]);
    sign_in(&c, "keycloak").await.expect("first key");
    idp.tweak(Tweak {
        kid: Some("k2".into()),
        ..Tweak::default()
    });
    sign_in(&c, "keycloak").await.expect("rotated key");
    assert_eq!(idp.jwks_fetches(), 2);
}

#[tokio::test]
async fn a_wrong_pkce_verifier_fails_the_exchange() {
    let idp = FakeIdp::start().await;
    let c = clients(vec![config("keycloak", ProviderKind::Oidc, &idp)]);
    let url = c
        .authorization_url("keycloak", &params("st"))
        .await
        .expect("url");
    let callback = authorize(&url).await;
    let result = c
        .exchange(
            "keycloak",
            &CodeExchange {
                code: callback["code"].clone(),
                pkce_verifier: "a-different-verifier-of-enough-length-000000".into(),
                nonce: NONCE.into(),
            },
        )
        .await;
    assert!(
        matches!(result, Err(OAuthError::ExchangeFailed(_))),
        "{result:?}"
    );
    // The code is single use at the provider: the right verifier no longer helps.
    let again = c
        .exchange(
            "keycloak",
            &CodeExchange {
                code: callback["code"].clone(),
                pkce_verifier: VERIFIER.into(),
                nonce: NONCE.into(),
            },
        )
        .await;
    assert!(matches!(again, Err(OAuthError::ExchangeFailed(_))));
}

#[tokio::test]
async fn an_unverified_email_is_not_passed_on() {
    let idp = FakeIdp::start().await;
    let c = clients(vec![config("keycloak", ProviderKind::Oidc, &idp)]);
    idp.account(Account {
        email_verified: false,
        ..Account::default()
    });
    let profile = sign_in(&c, "keycloak").await.expect("signed in");
    assert_eq!(profile.email, None);
    assert!(!profile.email_verified);
}

#[tokio::test]
async fn userinfo_fills_a_lean_id_token() {
    let idp = FakeIdp::start().await;
    let c = clients(vec![config("keycloak", ProviderKind::Oidc, &idp)]);
    idp.tweak(Tweak {
        lean: true,
        ..Tweak::default()
    });
    let profile = sign_in(&c, "keycloak").await.expect("signed in");
    assert_eq!(profile.email.as_deref(), Some("alice@example.org"));
    assert_eq!(profile.name, "Alice Liddell");
    assert_eq!(profile.avatar_url, "https://img.example.org/alice.png");
}

#[tokio::test]
async fn discovery_must_name_the_configured_issuer() {
    let idp = FakeIdp::start().await;
    let c = clients(vec![config("keycloak", ProviderKind::Oidc, &idp)]);
    idp.discovery_issuer("https://evil.example.org");
    let result = c.authorization_url("keycloak", &params("st")).await;
    assert!(
        matches!(result, Err(OAuthError::DiscoveryFailed(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn an_unreachable_issuer_is_a_discovery_failure() {
    // A port nothing listens on (bound, then released).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let mut cfg = config("keycloak", ProviderKind::Oidc, &FakeIdp::start().await);
    cfg.issuer = format!("http://127.0.0.1:{port}");
    let c = clients(vec![cfg]);
    let result = c.authorization_url("keycloak", &params("st")).await;
    assert!(matches!(result, Err(OAuthError::DiscoveryFailed(_))));
}

#[tokio::test]
async fn unknown_providers_are_reported() {
    let idp = FakeIdp::start().await;
    let c = clients(vec![config("keycloak", ProviderKind::Oidc, &idp)]);
    assert!(matches!(
        c.authorization_url("google", &params("st")).await,
        Err(OAuthError::UnknownProvider)
    ));
    let exchange = CodeExchange {
        code: "c".into(),
        pkce_verifier: VERIFIER.into(),
        nonce: NONCE.into(),
    };
    assert!(matches!(
        c.exchange("github", &exchange).await,
        Err(OAuthError::UnknownProvider)
    ));
}

// ---- Google, GitHub, X -------------------------------------------------------------

#[tokio::test]
async fn google_validates_its_id_token_and_posts_the_secret() {
    let idp = FakeIdp::start().await;
    let c = clients(vec![config("google", ProviderKind::Google, &idp)]);
    let url = c
        .authorization_url("google", &params("st"))
        .await
        .expect("url");
    assert_eq!(query(&url)["nonce"], NONCE);
    let profile = sign_in(&c, "google").await.expect("signed in");
    assert_eq!(profile.subject, "user-42");
    assert_eq!(profile.email.as_deref(), Some("alice@example.org"));
    assert_eq!(idp.token_auth(), ["post"]);
    idp.tweak(Tweak {
        nonce: Some("replayed".into()),
        ..Tweak::default()
    });
    assert_invalid_id_token(sign_in(&c, "google").await, "nonce mismatch");
}

#[tokio::test]
async fn github_uses_the_numeric_id_and_the_primary_verified_email() {
    let idp = FakeIdp::start().await;
    let c = clients(vec![config("github", ProviderKind::Github, &idp)]);
    let url = c
        .authorization_url("github", &params("st"))
        .await
        .expect("url");
    let q = query(&url);
    assert_eq!(q["scope"], "read:user user:email");
    assert!(!q.contains_key("nonce"));
    let profile = sign_in(&c, "github").await.expect("signed in");
    assert_eq!(
        profile,
        OAuthProfile {
            subject: "583231".into(),
            email: Some("alice@example.org".into()),
            email_verified: true,
            name: "Alice Liddell".into(),
            avatar_url: "https://img.example.org/alice.png".into(),
        }
    );
    assert!(idp.token_auth().iter().all(|a| a == "post"));
}

#[tokio::test]
async fn github_without_a_verified_primary_email_gives_none_and_falls_back_to_login() {
    let idp = FakeIdp::start().await;
    let c = clients(vec![config("github", ProviderKind::Github, &idp)]);
    idp.github_emails(json!([
        {"email": "alice@example.org", "primary": true, "verified": false},
        {"email": "other@example.org", "primary": false, "verified": true}
    ]));
    idp.account(Account {
        name: String::new(),
        ..Account::default()
    });
    let profile = sign_in(&c, "github").await.expect("signed in");
    assert_eq!(profile.email, None);
    assert!(!profile.email_verified);
    assert_eq!(profile.name, "octocat");
}

#[tokio::test]
async fn x_uses_basic_auth_its_user_id_and_no_email() {
    let idp = FakeIdp::start().await;
    let c = clients(vec![config("x", ProviderKind::Twitter, &idp)]);
    let url = c.authorization_url("x", &params("st")).await.expect("url");
    let q = query(&url);
    assert_eq!(q["scope"], "users.read tweet.read");
    assert!(!q.contains_key("nonce"));
    let profile = sign_in(&c, "x").await.expect("signed in");
    assert_eq!(profile.subject, "2244994945");
    assert_eq!(profile.email, None);
    assert_eq!(profile.name, "XDevelopers");
    assert_eq!(idp.token_auth(), ["basic"]);
}

// ---- configuration -------------------------------------------------------------------

#[tokio::test]
async fn placeholders_disable_a_provider_and_names_keep_config_order() {
    let idp = FakeIdp::start().await;
    let mut placeholder = config("google", ProviderKind::Google, &idp);
    placeholder.client_id = "your-client-id".into();
    let mut empty = config("github", ProviderKind::Github, &idp);
    empty.client_secret = String::new();
    let mut todo = config("x", ProviderKind::Twitter, &idp);
    todo.client_secret = "TODO".into();
    let c = clients(vec![
        config("zeta", ProviderKind::Oidc, &idp),
        placeholder,
        empty,
        todo,
        config("alpha", ProviderKind::Oidc, &idp),
    ]);
    assert_eq!(c.names(), ["zeta", "alpha"]);
    assert!(matches!(
        c.authorization_url("google", &params("st")).await,
        Err(OAuthError::UnknownProvider)
    ));
}

#[tokio::test]
async fn bad_configuration_is_refused() {
    let idp = FakeIdp::start().await;
    for name in [
        "local",
        "passkey",
        "passkeys",
        "guest",
        "Google",
        "",
        &"a".repeat(33),
        "a b",
    ] {
        let result = OAuthClients::new(vec![config(name, ProviderKind::Oidc, &idp)]);
        assert!(
            matches!(result, Err(OAuthConfigError::BadName(_))),
            "{name:?}"
        );
    }
    let result = OAuthClients::new(vec![
        config("a", ProviderKind::Oidc, &idp),
        config("a", ProviderKind::Oidc, &idp),
    ]);
    assert_eq!(result.err(), Some(OAuthConfigError::Duplicate("a".into())));
    let mut no_issuer = config("kc", ProviderKind::Oidc, &idp);
    no_issuer.issuer = " ".into();
    assert_eq!(
        OAuthClients::new(vec![no_issuer]).err(),
        Some(OAuthConfigError::MissingIssuer("kc".into()))
    );
    let mut no_redirect = config("kc", ProviderKind::Oidc, &idp);
    no_redirect.redirect_url = String::new();
    assert_eq!(
        OAuthClients::new(vec![no_redirect]).err(),
        Some(OAuthConfigError::MissingRedirect("kc".into()))
    );
    let mut bad_url = config("gh", ProviderKind::Github, &idp);
    bad_url.endpoints.token_url = Some("not a url".into());
    assert!(matches!(
        OAuthClients::new(vec![bad_url]),
        Err(OAuthConfigError::BadUrl { .. })
    ));
    assert!(valid_provider_name("keycloak_2-x"));
}

#[test]
fn the_secret_is_never_printed() {
    let cfg = ProviderConfig {
        name: "kc".into(),
        kind: ProviderKind::Oidc,
        client_id: "id".into(),
        client_secret: "hunter2-secret".into(),
        redirect_url: REDIRECT.into(),
        issuer: "https://idp".into(),
        scopes: vec![],
        endpoints: EndpointOverrides::default(),
    };
    assert!(!format!("{cfg:?}").contains("hunter2"));
    assert_eq!(ProviderKind::parse("oidc"), Some(ProviderKind::Oidc));
    assert_eq!(ProviderKind::parse("facebook"), None);
}
