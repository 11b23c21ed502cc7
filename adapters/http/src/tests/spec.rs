//! The OpenAPI document covers every mounted path, and every mounted path answers.

use poem::http::{Method, StatusCode};

use super::*;
use crate::{mounted_api_paths, openapi_json};

/// poem's `/users/:id` is OpenAPI's `/users/{id}`.
fn openapi_form(template: &str) -> String {
    template
        .split('/')
        .map(|s| match s.strip_prefix(':') {
            Some(name) => format!("{{{name}}}"),
            None => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[test]
fn document_covers_every_mounted_path_and_method() {
    let doc: Value = serde_json::from_str(&openapi_json()).expect("the document is JSON");
    assert_eq!(
        doc["openapi"].as_str().map(|v| v.starts_with("3.")),
        Some(true)
    );
    let paths = doc["paths"].as_object().expect("paths");
    let mounted = mounted_api_paths();
    assert!(mounted.len() >= 16, "{mounted:?}");
    for template in &mounted {
        assert!(template.starts_with("/api/"), "{template}");
        let item = paths
            .get(&openapi_form(template))
            .unwrap_or_else(|| panic!("{template} is not in the document"));
        let entry = crate::api::route_table();
        let allow = entry.find(template).map(|e| e.allow()).unwrap_or_default();
        for method in allow.split(", ").filter(|m| *m != "HEAD") {
            assert!(
                item.get(method.to_ascii_lowercase()).is_some(),
                "{method} {template} is not documented"
            );
        }
    }
    assert_eq!(
        paths.len(),
        mounted.len(),
        "no documented path is unmounted"
    );
    let schemas = &doc["components"]["schemas"];
    for name in [
        "ErrorBody",
        "User",
        "LoginResponse",
        "AdminUser",
        "PublicSettings",
    ] {
        assert!(schemas.get(name).is_some(), "schema {name}");
    }
    assert!(doc["components"]["securitySchemes"]["bearerAuth"].is_object());
    let login_responses = &doc["paths"]["/api/auth/login"]["post"]["responses"];
    assert!(login_responses.get("429").is_some() && login_responses.get("401").is_some());
}

#[test]
fn contract_paths_are_mounted() {
    let mounted = mounted_api_paths();
    for path in [
        "/api/health",
        "/api/ready",
        "/api/openapi.json",
        "/api/swagger",
        "/api/auth/register",
        "/api/auth/login",
        "/api/auth/guest-login",
        "/api/auth/refresh",
        "/api/auth/logout",
        "/api/auth/me",
        "/api/auth/password",
        "/api/auth/settings",
        "/api/admin/users",
        "/api/admin/users/:id",
        "/api/admin/users/:id/status",
        "/api/admin/users/:id/accesses",
        "/api/admin/users/:id/force-logout",
        "/api/room/create",
        "/api/room/join",
        "/api/room/guest-join",
        "/api/room/check/:roomName",
        "/api/room/refresh-token",
        "/api/room/list",
        "/api/room/archived",
        "/api/room/:roomId",
        "/api/room/:roomId/settings",
        "/api/room/:roomId/presence",
        "/api/room/:roomId/kick/:identity",
        "/api/room/:roomId/mute/:identity",
        "/api/room/:roomId/ban/:identity",
        "/api/room/:roomId/video/:identity/off",
        "/api/room/:roomId/promote/:identity",
        "/api/room/:roomId/demote/:identity",
        "/api/room/:roomId/stage/:identity/bring",
        "/api/room/:roomId/stage/:identity/remove",
        "/api/livekit/webhook",
        "/api/admin/rooms",
        "/api/admin/rooms/:roomId",
        "/api/admin/rooms/:roomId/token",
    ] {
        assert!(mounted.iter().any(|m| m == path), "{path} is not mounted");
    }
}

/// The responses object of `method` on `path`.
fn responses<'a>(doc: &'a Value, path: &str, method: &str) -> &'a Value {
    &doc["paths"][path][method]["responses"]
}

#[test]
fn room_operations_document_their_statuses_and_schemas() {
    let doc: Value = serde_json::from_str(&openapi_json()).expect("the document is JSON");
    let schemas = &doc["components"]["schemas"];
    for name in [
        "Room",
        "RoomSettings",
        "RoomSettingsInput",
        "CreatedRoom",
        "JoinedRoom",
        "ArchivedOwnedRoom",
        "GuestJoinedRoom",
        "RoomCheck",
        "RoomToken",
        "PresenceCount",
        "PresenceList",
        "ModerationResult",
        "WebhookAck",
        "AdminRoomDetail",
        "AdminRoomList",
        "AdminRoomToken",
    ] {
        assert!(schemas.get(name).is_some(), "schema {name}");
    }
    let room_required: Vec<&str> = schemas["Room"]["required"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(room_required.contains(&"id") && !room_required.contains(&"deletedAt"));
    assert_eq!(
        schemas["Room"]["properties"]["lastActivityAt"]["nullable"],
        true
    );
    for (path, method) in [
        ("/api/room/{roomId}", "delete"),
        ("/api/admin/rooms/{roomId}", "delete"),
    ] {
        let r = responses(&doc, path, method);
        assert!(
            r.get("202").is_some() && r.get("200").is_none(),
            "{method} {path}"
        );
        assert!(r.get("404").is_some() && r.get("403").is_some());
    }
    let webhook = responses(&doc, "/api/livekit/webhook", "post");
    for status in ["200", "400", "401", "503"] {
        assert!(webhook.get(status).is_some(), "webhook {status}");
    }
    assert!(
        doc["paths"]["/api/livekit/webhook"]["post"]["requestBody"]["content"]
            ["application/webhook+json"]
            .is_object()
    );
    assert!(
        doc["paths"]["/api/livekit/webhook"]["post"]
            .get("security")
            .is_none(),
        "no app auth on the webhook"
    );
    let guest = responses(&doc, "/api/room/guest-join", "post");
    let headers = guest["200"]["headers"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    assert!(
        headers.keys().any(|h| h.eq_ignore_ascii_case("set-cookie")),
        "{headers:?}"
    );
    for status in ["400", "403", "404", "410", "429"] {
        assert!(guest.get(status).is_some(), "guest-join {status}");
    }
    let join = &responses(&doc, "/api/room/join", "post")["200"]["content"]["application/json; charset=utf-8"]
        ["schema"];
    assert!(join.is_object(), "{join}");
    let presence = responses(&doc, "/api/room/{roomId}/presence", "get");
    assert!(presence.get("401").is_some() && presence.get("404").is_some());
    let params = doc["paths"]["/api/room/{roomId}/presence"]["get"]["parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(params.iter().any(|p| p["name"] == "countOnly"));
    assert!(
        params
            .iter()
            .any(|p| p["name"] == "roomId" && p["in"] == "path")
    );
}

#[tokio::test]
async fn every_mounted_route_answers() {
    let (cli, _) = server(HttpConfig::default());
    let table = crate::api::route_table();
    for template in mounted_api_paths() {
        let path = template
            .replace(":roomId", "00000000-0000-4000-8000-000000000001")
            .replace(":roomName", "some-room")
            .replace(":identity", "guest-ab12cd34")
            .replace(":id", "00000000-0000-4000-8000-000000000001");
        let allow = table.find(&template).map(|e| e.allow()).unwrap_or_default();
        for method in allow.split(", ") {
            let method: Method = method.parse().expect("method");
            let resp = cli.request(method.clone(), path.clone()).send().await;
            let (status, _, body) = read(resp).await;
            assert!(
                !(status == StatusCode::NOT_FOUND && body == error_body("Not found"))
                    && status != StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}: {status} {body}"
            );
        }
    }
}

#[tokio::test]
async fn swagger_page_is_served_with_its_csp() {
    let (cli, _) = server(HttpConfig::default());
    let resp = cli.get("/api/swagger").send().await;
    resp.assert_status_is_ok();
    let csp = header(resp.0.headers(), "content-security-policy").to_owned();
    assert!(csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
    let html = resp.0.into_body().into_string().await.expect("html");
    assert!(html.contains("swagger"), "looks like Swagger UI");
}
