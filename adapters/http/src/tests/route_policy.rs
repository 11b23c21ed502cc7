//! The guard class and the limiter of every room, moderation, webhook and admin-room
//! route (API §2.8, §2.9), checked from one table.

use poem::http::{Method, StatusCode};
use serde_json::json;

use super::*;
use crate::RateLimit;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// No auth at all.
    Open,
    /// Optional auth.
    Optional,
    /// Signed-in, guests allowed.
    User,
    /// Signed-in, no guests.
    Member,
    /// Superadmin.
    Superadmin,
}

#[tokio::test]
async fn guard_and_limiter_per_route() {
    // Distinct maxima tell the limiters apart.
    let (cli, _) = server(HttpConfig {
        auth_limit: RateLimit::new(1000, 60),
        guest_limit: RateLimit::new(1001, 60),
        api_limit: RateLimit::new(1002, 60),
        ..HttpConfig::default()
    });
    let member = bearer(&register(&cli, "m@example.com").await.0);
    let guest = guest_login(&cli).await;
    let room = create_room(&cli, &member, json!({"name": "policy-room"})).await;
    let id = room["id"].as_str().unwrap_or_default().to_owned();
    let t = "guest-ab12cd34";
    let (guest_lim, api_lim) = (Some("1001"), Some("1002"));
    use Class::*;
    let routes: Vec<(Method, String, Class, Option<&str>)> = vec![
        (Method::POST, "/api/room/create".into(), Member, api_lim),
        (Method::POST, "/api/room/join".into(), User, None),
        (Method::POST, "/api/room/guest-join".into(), Open, guest_lim),
        (
            Method::GET,
            "/api/room/check/policy-room".into(),
            Open,
            guest_lim,
        ),
        (
            Method::POST,
            "/api/room/refresh-token".into(),
            User,
            api_lim,
        ),
        (Method::GET, "/api/room/list".into(), Member, None),
        (Method::GET, "/api/room/archived".into(), Member, None),
        (
            Method::PUT,
            format!("/api/room/{id}/settings"),
            Member,
            None,
        ),
        (
            Method::GET,
            format!("/api/room/{id}/presence"),
            Optional,
            api_lim,
        ),
        (Method::POST, format!("/api/room/{id}/kick/{t}"), User, None),
        (Method::POST, format!("/api/room/{id}/mute/{t}"), User, None),
        (Method::POST, format!("/api/room/{id}/ban/{t}"), User, None),
        (
            Method::POST,
            format!("/api/room/{id}/video/{t}/off"),
            User,
            None,
        ),
        (
            Method::POST,
            format!("/api/room/{id}/promote/{t}"),
            User,
            None,
        ),
        (
            Method::POST,
            format!("/api/room/{id}/demote/{t}"),
            User,
            None,
        ),
        (
            Method::POST,
            format!("/api/room/{id}/stage/{t}/bring"),
            User,
            None,
        ),
        (
            Method::POST,
            format!("/api/room/{id}/stage/{t}/remove"),
            User,
            None,
        ),
        (Method::POST, "/api/livekit/webhook".into(), Open, None),
        (Method::GET, "/api/admin/rooms".into(), Superadmin, None),
        (
            Method::POST,
            format!("/api/admin/rooms/{id}/token"),
            Superadmin,
            None,
        ),
        (
            Method::DELETE,
            format!("/api/admin/rooms/{id}"),
            Superadmin,
            None,
        ),
        // Last: it archives the room.
        (Method::DELETE, format!("/api/room/{id}"), Member, None),
    ];
    for (method, path, class, limiter) in routes {
        let send = |auth: Option<&str>| {
            let mut req = cli
                .request(method.clone(), path.clone())
                .body_json(&json!({}));
            if let Some(a) = auth {
                req = req.header("Authorization", a);
            }
            req.send()
        };
        let what = format!("{method} {path}");

        let (status, headers, body) = read(send(None).await).await;
        let needs_user = matches!(class, User | Member | Superadmin);
        assert_eq!(
            (status, &body)
                == (
                    StatusCode::UNAUTHORIZED,
                    &error_body("Missing authorization")
                ),
            needs_user,
            "{what} anonymous: {status} {body}"
        );
        if needs_user {
            assert!(
                header(&headers, "x-ratelimit-limit").is_empty(),
                "{what}: the limiter runs after the guards"
            );
        }

        let (status, _, body) = read(send(Some(&guest)).await).await;
        match class {
            Member => assert_eq!(
                (status, body),
                (
                    StatusCode::FORBIDDEN,
                    error_body("Guests cannot create or manage rooms")
                ),
                "{what} guest"
            ),
            Superadmin => assert_eq!(
                (status, body),
                (
                    StatusCode::FORBIDDEN,
                    error_body("Insufficient access rights")
                ),
                "{what} guest"
            ),
            _ => assert!(
                status != StatusCode::UNAUTHORIZED
                    && body != error_body("Guests cannot create or manage rooms"),
                "{what} guest: {status} {body}"
            ),
        }

        let (status, headers, body) = read(send(Some(&member)).await).await;
        if class != Superadmin {
            assert!(status != StatusCode::UNAUTHORIZED, "{what}: {body}");
        }
        let got = header(&headers, "x-ratelimit-limit");
        assert_eq!(
            (!got.is_empty()).then_some(got),
            limiter,
            "{what}: limiter ({status} {body})"
        );
    }
}
