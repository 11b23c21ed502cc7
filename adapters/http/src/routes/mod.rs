//! The API areas, one `OpenApi` impl each, and the operation transforms they share.
//!
//! To add an area (rooms, moderation, passkeys, webhook…): write a unit struct with an
//! `#[OpenApi(prefix_path = "/api", tag = "Tag::…")]` impl in its own module and append
//! it to [`Api`] and [`api`]. The router, `mounted_api_paths()` and the OpenAPI document
//! all derive from that tuple.

pub mod admin;
pub mod admin_rooms;
pub mod auth;
pub mod docs;
pub mod flow;
pub mod health;
pub mod moderation;
pub mod oauth;
pub mod passkeys;
pub mod rooms;
pub mod webhook;

use poem::Endpoint;
use poem_openapi::{OpenApiService, Tags};

use crate::auth::{Authenticate, GuardClass};
use crate::error::{BodyMessage, INVALID_BODY, INVALID_INPUT};
use crate::rate_limit::{Limited, LimiterKind};

/// Groups of operations in the document.
#[derive(Debug, Tags)]
pub enum Tag {
    /// Liveness and readiness.
    Health,
    /// Sign-up, sign-in, sessions and the caller's account.
    Auth,
    /// Rooms: create, join, guest-join, check, tokens, list, delete, settings, presence.
    Rooms,
    /// Moderation of room participants.
    Moderation,
    /// LiveKit webhook deliveries.
    Webhook,
    /// User and room administration (superadmin).
    Admin,
    /// This document and its viewer.
    Docs,
}

/// Every API area, in document order.
pub type Api = (
    health::HealthApi,
    auth::AuthApi,
    rooms::RoomsApi,
    moderation::ModerationApi,
    webhook::WebhookApi,
    admin::AdminApi,
    admin_rooms::AdminRoomsApi,
    docs::DocsApi,
    passkeys::PasskeysApi,
    oauth::OAuthApi,
);

/// The API areas.
pub fn api() -> Api {
    (
        health::HealthApi,
        auth::AuthApi,
        rooms::RoomsApi,
        moderation::ModerationApi,
        webhook::WebhookApi,
        admin::AdminApi,
        admin_rooms::AdminRoomsApi,
        docs::DocsApi,
        passkeys::PasskeysApi,
        oauth::OAuthApi,
    )
}

/// The OpenAPI service over [`api`] (used for the document and the Swagger page).
pub fn service() -> OpenApiService<Api, ()> {
    OpenApiService::new(api(), "Bedrud API", env!("CARGO_PKG_VERSION")).description(
        "Self-hosted video meetings. Errors are `{\"error\": \"…\"}`; every response \
         carries `X-Request-Id`.",
    )
}

/// `transform` of operations whose unparsable body answers `Invalid input`.
pub fn invalid_input<E: Endpoint + 'static>(ep: E) -> BodyMessage<E> {
    BodyMessage::new(ep, INVALID_INPUT)
}

/// `transform` of operations whose unparsable body answers `Invalid body` (join, room
/// settings).
pub fn invalid_body<E: Endpoint + 'static>(ep: E) -> BodyMessage<E> {
    BodyMessage::new(ep, INVALID_BODY)
}

/// `transform` of operations behind the auth limiter only.
pub fn auth_limited<E: Endpoint + 'static>(ep: E) -> Limited<E> {
    Limited::new(ep, LimiterKind::Auth)
}

/// `transform` of sign-in operations: auth limiter, then `Invalid input` bodies.
pub fn auth_limited_input<E: Endpoint + 'static>(ep: E) -> Limited<BodyMessage<E>> {
    Limited::new(BodyMessage::new(ep, INVALID_INPUT), LimiterKind::Auth)
}

/// `transform` of "user, no guests" operations behind the API limiter (room create):
/// guards first, then the limiter (API §2.9).
pub fn member_api_limited<E: Endpoint + 'static>(ep: E) -> Authenticate<Limited<E>> {
    Authenticate::new(Limited::new(ep, LimiterKind::Api), GuardClass::NoGuests)
}

/// `transform` of "user" operations behind the API limiter (room refresh-token).
pub fn user_api_limited<E: Endpoint + 'static>(ep: E) -> Authenticate<Limited<E>> {
    Authenticate::new(Limited::new(ep, LimiterKind::Api), GuardClass::User)
}

/// `transform` of "user" operations behind the API limiter whose unparsable body
/// answers `Invalid body` (room refresh-token): guards, limiter, then the body.
pub fn user_api_limited_body<E: Endpoint + 'static>(
    ep: E,
) -> Authenticate<Limited<BodyMessage<E>>> {
    Authenticate::new(
        Limited::new(BodyMessage::new(ep, INVALID_BODY), LimiterKind::Api),
        GuardClass::User,
    )
}

/// `transform` of unauthenticated or optional-auth operations behind the API limiter
/// (presence).
pub fn api_limited<E: Endpoint + 'static>(ep: E) -> Limited<E> {
    Limited::new(ep, LimiterKind::Api)
}

/// `transform` of operations behind the guest limiter (guest-join, room check).
pub fn guest_limited<E: Endpoint + 'static>(ep: E) -> Limited<E> {
    Limited::new(ep, LimiterKind::Guest)
}

/// `transform` of guest-join: guest limiter, then `Invalid body` bodies.
pub fn guest_limited_body<E: Endpoint + 'static>(ep: E) -> Limited<BodyMessage<E>> {
    Limited::new(BodyMessage::new(ep, INVALID_BODY), LimiterKind::Guest)
}
