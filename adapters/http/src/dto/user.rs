//! The User object (API §4.1) and the token pair of §4.2.

use bedrud_domain::TokenPair;
use bedrud_ports::User;
use poem_openapi::Object;

use crate::dto::Timestamp;

/// An account as clients see it; secrets are never serialised.
#[derive(Debug, Clone, PartialEq, Object)]
#[oai(rename = "User", rename_all = "camelCase")]
pub struct UserDto {
    /// UUID, or `guest-xxxxxxxx` for guest-join identities.
    pub id: String,
    /// Canonical email; `""` when an OAuth provider gave none.
    pub email: String,
    /// Display name.
    pub name: String,
    /// `""` when unknown.
    pub avatar_url: String,
    /// `local`, `passkey`, `guest`, `google`, `github`, `twitter` or an OIDC name.
    pub provider: String,
    /// Global roles; `[]` when none.
    pub accesses: Vec<String>,
    /// `false` when deactivated.
    pub is_active: bool,
    /// When the email was verified.
    #[oai(nullable)]
    pub email_verified_at: Option<Timestamp>,
    /// When the password last changed.
    #[oai(nullable)]
    pub password_changed_at: Option<Timestamp>,
    /// When the account was created.
    pub created_at: Timestamp,
    /// When the account last changed.
    pub updated_at: Timestamp,
}

/// The wire names of `user`'s roles.
pub fn access_names(user: &User) -> Vec<String> {
    user.accesses
        .iter()
        .map(|a| a.as_str().to_owned())
        .collect()
}

impl From<&User> for UserDto {
    fn from(u: &User) -> Self {
        UserDto {
            id: u.id.clone(),
            email: u.email.clone(),
            name: u.name.clone(),
            avatar_url: u.avatar_url.clone(),
            provider: u.provider.clone(),
            accesses: access_names(u),
            is_active: u.is_active,
            email_verified_at: u.email_verified_at.map(Timestamp),
            password_changed_at: u.password_changed_at.map(Timestamp),
            created_at: Timestamp(u.created_at),
            updated_at: Timestamp(u.updated_at),
        }
    }
}

/// `{"accessToken","refreshToken"}`.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "Tokens", rename_all = "camelCase")]
pub struct TokensDto {
    /// Access JWT.
    pub access_token: String,
    /// Refresh JWT.
    pub refresh_token: String,
}

impl From<&TokenPair> for TokensDto {
    fn from(p: &TokenPair) -> Self {
        TokensDto {
            access_token: p.access_token.clone(),
            refresh_token: p.refresh_token.clone(),
        }
    }
}

/// `{"user": User, "tokens": Tokens}` (API §4.2).
#[derive(Debug, Clone, PartialEq, Object)]
#[oai(rename = "LoginResponse", rename_all = "camelCase")]
pub struct LoginResponse {
    /// The signed-in user.
    pub user: UserDto,
    /// The session's token pair.
    pub tokens: TokensDto,
}

/// `{"message": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "Message")]
pub struct MessageDto {
    /// What happened.
    pub message: String,
}

impl MessageDto {
    /// A message body.
    pub fn new(message: &str) -> Self {
        MessageDto {
            message: message.to_owned(),
        }
    }
}
