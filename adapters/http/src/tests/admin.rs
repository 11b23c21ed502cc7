//! Admin users (API §3.8) through the HTTP layer.

use bedrud_ports::Access;
use poem::http::StatusCode;
use serde_json::json;

use super::*;

async fn admin_client() -> (Client, World, String, String) {
    let (cli, world) = server(HttpConfig::default());
    world.add_user("root@example.com", vec![Access::Superadmin]);
    let target = world.add_user("user@example.com", vec![Access::User]);
    let (access, _) = login(&cli, "root@example.com").await;
    (cli, world, bearer(&access), target)
}

#[tokio::test]
async fn non_superadmin_is_403() {
    let (cli, world) = server(HttpConfig::default());
    world.add_user("plain@example.com", vec![Access::User, Access::Admin]);
    let (access, _) = login(&cli, "plain@example.com").await;
    let (status, _, body) = read(
        cli.get("/api/admin/users")
            .header("Authorization", bearer(&access))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body, error_body("Insufficient access rights"));
    let (status, _, body) = read(cli.get("/api/admin/users").send().await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, error_body("Missing authorization"));
}

#[tokio::test]
async fn list_users_shape_and_validation() {
    let (cli, _, auth, _) = admin_client().await;
    let (status, _, body) = read(
        cli.get("/api/admin/users?page=0&limit=500&status=active")
            .header("Authorization", auth.clone())
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 2);
    assert_eq!(body["page"], 1);
    assert_eq!(body["limit"], 50);
    let first = &body["users"][0];
    let mut keys: Vec<&str> = first
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "accesses",
            "createdAt",
            "email",
            "id",
            "isActive",
            "isAdmin",
            "name",
            "provider"
        ],
        "emailVerifiedAt is omitted when null"
    );
    for (query, message) in [
        ("sort=age", "Invalid sort field"),
        ("provider=local,myspace", "Invalid provider: myspace"),
        ("order=up", "Invalid order, must be asc or desc"),
    ] {
        let (status, _, body) = read(
            cli.get(format!("/api/admin/users?{query}"))
                .header("Authorization", auth.clone())
                .send()
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body, error_body(message));
    }
}

#[tokio::test]
async fn user_detail_and_malformed_ids() {
    let (cli, _, auth, target) = admin_client().await;
    let (status, _, body) = read(
        cli.get(format!("/api/admin/users/{target}"))
            .header("Authorization", auth.clone())
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["id"], target.as_str());
    assert_eq!(body["isAdmin"], false);
    assert_eq!(body["activeSessions"], 0);
    assert_eq!(body["lastSeenAt"], Value::Null);
    assert_eq!(body["emailVerifiedAt"], Value::Null);
    for id in ["not-a-uuid", "00000000-0000-4000-8000-000000000000"] {
        for (method, suffix) in [("GET", ""), ("POST", "/force-logout")] {
            let req = cli.request(
                method.parse().expect("method"),
                format!("/api/admin/users/{id}{suffix}"),
            );
            let (status, _, body) =
                read(req.header("Authorization", auth.clone()).send().await).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {id}");
            assert_eq!(body, error_body("User not found"));
        }
    }
}

#[tokio::test]
async fn status_accesses_and_force_logout() {
    let (cli, _, auth, target) = admin_client().await;
    let (target_access, _) = login(&cli, "user@example.com").await;
    let url = format!("/api/admin/users/{target}/status");
    for body in [json!({}), json!({"active":"yes"})] {
        let (status, _, resp) = read(
            cli.put(&url)
                .header("Authorization", auth.clone())
                .body_json(&body)
                .send()
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(resp, error_body("Invalid input"));
    }
    let (status, _, resp) = read(
        cli.put(&url)
            .header("Authorization", auth.clone())
            .body_json(&json!({"isActive": true}))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(resp, json!({"message":"User status updated successfully"}));
    let (status, _, resp) = read(
        cli.put("/api/admin/users/garbage/status")
            .header("Authorization", auth.clone())
            .body_json(&json!({"active": false}))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(resp, error_body("User not found"));

    let (status, _, resp) = read(
        cli.put(format!("/api/admin/users/{target}/accesses"))
            .header("Authorization", auth.clone())
            .body_json(&json!({"accesses":["user","wizard"]}))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(resp, error_body("Invalid access role: wizard"));

    let (status, _, resp) = read(
        cli.post(format!("/api/admin/users/{target}/force-logout"))
            .header("Authorization", auth.clone())
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(resp, json!({"message":"All sessions revoked"}));
    let (status, _, resp) = read(
        cli.get("/api/auth/me")
            .header("Authorization", bearer(&target_access))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(resp, error_body("Invalid token"));

    let (status, _, resp) = read(
        cli.put(format!("/api/admin/users/{target}/accesses"))
            .header("Authorization", auth.clone())
            .body_json(&json!({"accesses":["moderator","moderator"]}))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(resp, json!({"message":"User accesses updated"}));
}
