//! OAuth routes (API §3.3) over the real use case with mocked providers: the 307 and
//! its flow cookie, the callback's 302 without tokens in the URL, the cookie cleared
//! whatever the outcome, 502 on provider failures, the limiter, and that
//! `/:provider/login` shadows no fixed route.

use bedrud_ports::{MockOAuthProviders, OAuthError, OAuthProfile};
use poem::http::{HeaderMap, StatusCode};
use serde_json::json;

use super::*;
use crate::RateLimit;
use crate::tests::flow_fakes::Flows;

const IDP: &str = "https://idp.example.com/auth";

/// Providers whose URL carries `state`; code `good` signs in `sub-1`, `down` fails
/// upstream, anything else has an invalid ID token.
fn providers() -> MockOAuthProviders {
    let mut p = MockOAuthProviders::new();
    p.expect_authorization_url().returning(|provider, params| {
        Ok(format!(
            "{IDP}?provider={provider}&state={}&code_challenge={}",
            params.state, params.pkce_challenge
        ))
    });
    p.expect_exchange()
        .returning(|_, exchange| match exchange.code.as_str() {
            "good" => Ok(OAuthProfile {
                subject: "sub-1".into(),
                email: Some("kay@example.com".into()),
                email_verified: true,
                name: "Kay".into(),
                avatar_url: String::new(),
            }),
            "down" => Err(OAuthError::ExchangeFailed(anyhow::anyhow!(
                "connection refused"
            ))),
            _ => Err(OAuthError::InvalidIdToken(anyhow::anyhow!("bad nonce"))),
        });
    p
}

fn oauth_world(providers: MockOAuthProviders) -> World {
    World::with_flows(Flows {
        providers,
        oauth_providers: vec!["keycloak".into()],
        frontend_url: "https://app.example.com".into(),
        ..Flows::default()
    })
}

fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect()
}

fn cookie_value(cookies: &[String], name: &str) -> Option<String> {
    cookies.iter().find_map(|c| {
        let (pair, _) = c.split_once(';').unwrap_or((c, ""));
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| v.to_owned())
    })
}

/// The value of query parameter `name` in `url`.
fn query_param(url: &str, name: &str) -> Option<String> {
    url.split_once('?')?
        .1
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Starts a flow; returns (state, binding).
async fn start(cli: &Client, query: &str) -> (String, String) {
    let resp = cli
        .get(format!("/api/auth/keycloak/login{query}"))
        .send()
        .await;
    let (status, headers, body) = read(resp).await;
    assert_eq!(status, StatusCode::TEMPORARY_REDIRECT, "{body}");
    let location = header(&headers, "location").to_owned();
    let state = query_param(&location, "state").unwrap_or_default();
    let binding = cookie_value(&set_cookies(&headers), "bedrud_oauth").unwrap_or_default();
    (state, binding)
}

async fn callback(
    cli: &Client,
    query: &str,
    binding: Option<&str>,
) -> (StatusCode, HeaderMap, Value) {
    let mut req = cli.get(format!("/api/auth/keycloak/callback{query}"));
    if let Some(b) = binding {
        req = req.header("Cookie", format!("bedrud_oauth={b}"));
    }
    read(req.send().await).await
}

fn assert_flow_cookie_cleared(headers: &HeaderMap) {
    let cookies = set_cookies(headers);
    assert!(
        cookies.iter().any(|c| c
            .starts_with("bedrud_oauth=; Max-Age=0; Path=/api/auth; HttpOnly; Expires=")
            && c.ends_with("; SameSite=Lax")),
        "{cookies:?}"
    );
}

#[tokio::test]
async fn login_redirects_to_the_provider_with_the_flow_cookie() {
    let (cli, _) = server_with(oauth_world(providers()), HttpConfig::default());
    let resp = cli
        .get("/api/auth/keycloak/login?redirect=/room/abc&state=caller-chosen")
        .send()
        .await;
    let (status, headers, _) = read(resp).await;
    assert_eq!(status, StatusCode::TEMPORARY_REDIRECT);
    let location = header(&headers, "location");
    assert!(location.starts_with(IDP), "{location}");
    let state = query_param(location, "state").unwrap_or_default();
    assert!(state.len() >= 40 && state != "caller-chosen", "{state}");
    let cookies = set_cookies(&headers);
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let binding = cookie_value(&cookies, "bedrud_oauth").unwrap_or_default();
    assert!(binding.len() >= 40 && binding != state);
    assert_eq!(
        cookies[0],
        format!("bedrud_oauth={binding}; Max-Age=600; Path=/api/auth; HttpOnly; SameSite=Lax")
    );
    assert!(!header(&headers, "x-ratelimit-limit").is_empty());

    // Secure behind TLS, but still Lax: it must survive the provider's redirect.
    let (cli, _) = server_with(
        oauth_world(providers()),
        HttpConfig {
            enable_tls: true,
            ..HttpConfig::default()
        },
    );
    let resp = cli.get("/api/auth/keycloak/login").send().await;
    let (_, headers, _) = read(resp).await;
    let cookies = set_cookies(&headers);
    assert!(
        cookies[0].ends_with("; Max-Age=600; Path=/api/auth; HttpOnly; Secure; SameSite=Lax"),
        "{cookies:?}"
    );

    for provider in ["github", "passkey", "local"] {
        let resp = cli.get(format!("/api/auth/{provider}/login")).send().await;
        let (status, headers, body) = read(resp).await;
        assert_eq!(
            (status, body),
            (
                StatusCode::NOT_FOUND,
                error_body("Unsupported OAuth provider")
            ),
            "{provider}"
        );
        assert!(set_cookies(&headers).is_empty());
    }
}

#[tokio::test]
async fn fixed_auth_routes_are_not_shadowed_by_the_provider_routes() {
    let (cli, world) = server_with(oauth_world(providers()), HttpConfig::default());
    world.add_user("seed@example.com", vec![bedrud_ports::Access::User]);
    login(&cli, "seed@example.com").await;
    let resp = cli.get("/api/auth/login").send().await;
    let (status, headers, body) = read(resp).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::METHOD_NOT_ALLOWED,
            error_body("Method not allowed")
        )
    );
    assert_eq!(header(&headers, "allow"), "POST");
    let resp = cli.get("/api/auth/settings").send().await;
    let (status, _, body) = read(resp).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["oauthProviders"], json!(["keycloak"]));
    // GET on a fixed four-segment path stays with it (405), never a provider.
    let resp = cli.get("/api/auth/passkeys/login").send().await;
    assert_eq!(read(resp).await.0, StatusCode::METHOD_NOT_ALLOWED);
    let table = crate::api::route_table();
    for (path, template) in [
        ("/api/auth/login", "/api/auth/login"),
        ("/api/auth/keycloak/login", "/api/auth/:provider/login"),
        (
            "/api/auth/keycloak/callback",
            "/api/auth/:provider/callback",
        ),
        ("/api/auth/passkeys/login", "/api/auth/passkeys/:id"),
        (
            "/api/auth/passkey/login/begin",
            "/api/auth/passkey/login/begin",
        ),
    ] {
        assert_eq!(
            table
                .find(path)
                .map(|e| e.template().to_string())
                .as_deref(),
            Some(template),
            "{path}"
        );
    }
}

#[tokio::test]
async fn callback_signs_in_and_redirects_without_tokens_in_the_url() {
    let (cli, world) = server_with(oauth_world(providers()), HttpConfig::default());
    let (state, binding) = start(&cli, "?redirect=/room/abc").await;
    let (status, headers, _) =
        callback(&cli, &format!("?state={state}&code=good"), Some(&binding)).await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(
        header(&headers, "location"),
        "https://app.example.com/auth/callback?redirect=%2Froom%2Fabc"
    );
    assert!(!header(&headers, "x-ratelimit-limit").is_empty());
    let cookies = set_cookies(&headers);
    assert_eq!(cookies.len(), 3, "{cookies:?}");
    let access = cookie_value(&cookies, "access_token").unwrap_or_default();
    let refresh = cookie_value(&cookies, "refresh_token").unwrap_or_default();
    assert_eq!(
        cookies[0],
        format!("access_token={access}; Max-Age=900; Path=/; HttpOnly; SameSite=Lax")
    );
    assert!(cookies[1].starts_with(&format!("refresh_token={refresh}; Max-Age=2592000;")));
    assert_flow_cookie_cleared(&headers);
    let location = header(&headers, "location");
    assert!(!location.contains(&access) && !location.contains(&refresh));
    assert!(!location.contains("token"), "{location}");

    // The session is real; the account is the provider's.
    let resp = cli
        .get("/api/auth/me")
        .header("Authorization", bearer(&access))
        .send()
        .await;
    let (status, _, me) = read(resp).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["provider"], "keycloak");
    assert_eq!(me["email"], "kay@example.com");
    assert_eq!(world.users.0.lock().map(|u| u.len()).unwrap_or(0), 1);

    // Single use: the same state again fails, and the cookie is cleared again.
    let (status, headers, body) =
        callback(&cli, &format!("?state={state}&code=good"), Some(&binding)).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            error_body("Failed to complete authentication")
        )
    );
    assert_flow_cookie_cleared(&headers);
}

#[tokio::test]
async fn callback_failures_clear_the_flow_cookie() {
    let (cli, _) = server_with(oauth_world(providers()), HttpConfig::default());
    let failed = error_body("Failed to complete authentication");

    // The provider's token endpoint fails: 502 with the contract message, no cause.
    let (state, binding) = start(&cli, "").await;
    let (status, headers, body) =
        callback(&cli, &format!("?state={state}&code=down"), Some(&binding)).await;
    assert_eq!((status, &body), (StatusCode::BAD_GATEWAY, &failed));
    assert_flow_cookie_cleared(&headers);

    // Invalid ID token, missing binding cookie, provider `error`, missing code: 400.
    let (state, binding) = start(&cli, "").await;
    let (status, headers, body) =
        callback(&cli, &format!("?state={state}&code=forged"), Some(&binding)).await;
    assert_eq!((status, &body), (StatusCode::BAD_REQUEST, &failed));
    assert_flow_cookie_cleared(&headers);
    let (state, _) = start(&cli, "").await;
    let (status, headers, body) = callback(&cli, &format!("?state={state}&code=good"), None).await;
    assert_eq!((status, &body), (StatusCode::BAD_REQUEST, &failed));
    assert_flow_cookie_cleared(&headers);
    let (state, binding) = start(&cli, "").await;
    let (status, headers, body) = callback(
        &cli,
        &format!("?state={state}&error=access_denied"),
        Some(&binding),
    )
    .await;
    assert_eq!((status, &body), (StatusCode::BAD_REQUEST, &failed));
    assert_flow_cookie_cleared(&headers);
    let (status, headers, body) = callback(&cli, "", None).await;
    assert_eq!((status, &body), (StatusCode::BAD_REQUEST, &failed));
    assert_flow_cookie_cleared(&headers);

    // Unknown provider.
    let resp = cli.get("/api/auth/github/callback?code=x").send().await;
    let (status, headers, body) = read(resp).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::NOT_FOUND,
            error_body("Unsupported OAuth provider")
        )
    );
    assert_flow_cookie_cleared(&headers);
}

#[tokio::test]
async fn discovery_failure_is_a_502_without_a_cookie() {
    let mut p = MockOAuthProviders::new();
    p.expect_authorization_url().returning(|_, _| {
        Err(OAuthError::DiscoveryFailed(anyhow::anyhow!(
            "issuer unreachable"
        )))
    });
    let (cli, _) = server_with(oauth_world(p), HttpConfig::default());
    let resp = cli.get("/api/auth/keycloak/login").send().await;
    let (status, headers, body) = read(resp).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_GATEWAY,
            error_body("Failed to begin authentication")
        )
    );
    assert!(set_cookies(&headers).is_empty());
}

#[tokio::test]
async fn the_auth_limiter_applies_to_login_and_callback() {
    for path in ["/api/auth/keycloak/login", "/api/auth/keycloak/callback"] {
        let (cli, _) = server_with(
            oauth_world(providers()),
            HttpConfig {
                auth_limit: RateLimit::new(2, 60),
                ..HttpConfig::default()
            },
        );
        for _ in 0..2 {
            let (status, headers, _) = read(cli.get(path).send().await).await;
            assert_ne!(status, StatusCode::TOO_MANY_REQUESTS, "{path}");
            assert_eq!(header(&headers, "x-ratelimit-limit"), "2");
        }
        let (status, headers, body) = read(cli.get(path).send().await).await;
        assert_eq!(
            (status, body),
            (
                StatusCode::TOO_MANY_REQUESTS,
                error_body("too many requests, please try again later")
            ),
            "{path}"
        );
        assert!(!header(&headers, "retry-after").is_empty());
    }
}

#[test]
fn the_document_describes_the_redirects_and_their_errors() {
    let has = |headers: &Value, name: &str| {
        headers
            .as_object()
            .is_some_and(|h| h.keys().any(|k| k.eq_ignore_ascii_case(name)))
    };
    let doc: Value = serde_json::from_str(&crate::openapi_json()).expect("json");
    let login = &doc["paths"]["/api/auth/{provider}/login"]["get"];
    let responses = &login["responses"];
    assert!(responses.get("200").is_none());
    let headers = &responses["307"]["headers"];
    assert!(
        has(headers, "location") && has(headers, "set-cookie"),
        "{headers}"
    );
    for status in ["404", "429", "500", "502", "503"] {
        assert!(responses.get(status).is_some(), "login {status}");
    }
    let params: Vec<&str> = login["parameters"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(params, ["provider", "redirect"]);

    let cb = &doc["paths"]["/api/auth/{provider}/callback"]["get"];
    let responses = &cb["responses"];
    let headers = &responses["302"]["headers"];
    assert!(
        has(headers, "location") && has(headers, "set-cookie"),
        "{headers}"
    );
    for status in ["400", "403", "404", "409", "429", "500", "502", "503"] {
        assert!(responses.get(status).is_some(), "callback {status}");
    }
    assert!(has(&responses["400"]["headers"], "set-cookie"));
    assert!(!has(&responses["429"]["headers"], "set-cookie"));
    let params: Vec<&str> = cb["parameters"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(params, ["provider", "state", "code", "error"]);
}
