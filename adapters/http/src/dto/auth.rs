//! Bodies of the authentication endpoints (API §3.2).

use bedrud_domain::TokenPair;
use bedrud_ports::User;
use poem_openapi::Object;

use crate::dto::Text;
use crate::dto::user::{TokensDto, access_names};

/// `POST /api/auth/register`.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "RegisterRequest", rename_all = "camelCase")]
pub struct RegisterRequest {
    /// Email address.
    pub email: Text,
    /// 12–128 bytes.
    pub password: Text,
    /// Sanitised, 2–255 bytes.
    pub name: Text,
    /// Ignored in this wave.
    pub invite_token: Option<Text>,
}

/// `POST /api/auth/login`.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "LoginRequest", rename_all = "camelCase")]
pub struct LoginRequest {
    /// Email address.
    pub email: Text,
    /// The password.
    pub password: Text,
}

/// `POST /api/auth/guest-login`.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "GuestLoginRequest", rename_all = "camelCase")]
pub struct GuestLoginRequest {
    /// Sanitised, 2–50 bytes.
    pub name: Text,
}

/// Optional body of refresh and logout; both spellings are accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Object)]
#[oai(rename = "RefreshTokenBody")]
pub struct RefreshTokenBody {
    /// Refresh JWT (snake_case copy).
    #[oai(rename = "refresh_token")]
    pub refresh_token_snake: Option<Text>,
    /// Refresh JWT (camelCase spelling).
    #[oai(rename = "refreshToken")]
    pub refresh_token_camel: Option<Text>,
}

impl RefreshTokenBody {
    /// The token, whichever spelling carried it.
    pub fn token(self) -> Option<String> {
        self.refresh_token_snake
            .map(Text::into_string)
            .filter(|t| !t.is_empty())
            .or(self
                .refresh_token_camel
                .map(Text::into_string)
                .filter(|t| !t.is_empty()))
    }
}

/// `POST /api/auth/refresh` response: both spellings of both tokens.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "RefreshResponse")]
pub struct RefreshResponse {
    /// Access JWT (snake_case copy).
    #[oai(rename = "access_token")]
    pub access_token_snake: String,
    /// Refresh JWT (snake_case copy).
    #[oai(rename = "refresh_token")]
    pub refresh_token_snake: String,
    /// Access JWT.
    #[oai(rename = "accessToken")]
    pub access_token: String,
    /// Refresh JWT.
    #[oai(rename = "refreshToken")]
    pub refresh_token: String,
}

impl From<&TokenPair> for RefreshResponse {
    fn from(p: &TokenPair) -> Self {
        RefreshResponse {
            access_token_snake: p.access_token.clone(),
            refresh_token_snake: p.refresh_token.clone(),
            access_token: p.access_token.clone(),
            refresh_token: p.refresh_token.clone(),
        }
    }
}

/// `PUT /api/auth/me`.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "UpdateMeRequest", rename_all = "camelCase")]
pub struct UpdateMeRequest {
    /// Required on every call; sanitised, 2–255 bytes.
    pub name: Text,
    /// Acts only when its canonical form differs; local/passkey accounts only.
    pub email: Option<Text>,
}

/// `PUT /api/auth/me` response; `tokens` only when the email changed.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "UpdateMeResponse", rename_all = "camelCase")]
pub struct UpdateMeResponse {
    /// User id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Email address.
    pub email: String,
    /// Sign-in provider.
    pub provider: String,
    /// Global roles.
    pub accesses: Vec<String>,
    /// Avatar URL; `""` when unknown.
    pub avatar_url: String,
    /// The new token pair, only after an email change.
    #[oai(skip_serializing_if_is_none)]
    pub tokens: Option<TokensDto>,
}

impl UpdateMeResponse {
    /// The response for `user` and, after an email change, its new pair.
    pub fn new(user: &User, tokens: Option<&TokenPair>) -> Self {
        UpdateMeResponse {
            id: user.id.clone(),
            name: user.name.clone(),
            email: user.email.clone(),
            provider: user.provider.clone(),
            accesses: access_names(user),
            avatar_url: user.avatar_url.clone(),
            tokens: tokens.map(TokensDto::from),
        }
    }
}

/// `PUT /api/auth/password`.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "ChangePasswordRequest", rename_all = "camelCase")]
pub struct ChangePasswordRequest {
    /// Required unless a passkey user has no password yet.
    pub current_password: Option<Text>,
    /// 12–128 bytes.
    pub new_password: Text,
}
