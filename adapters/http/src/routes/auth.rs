//! Local authentication (API §3.2): register, login, guest login, refresh, logout,
//! profile, password and the public settings.

use std::sync::Arc;
use std::time::Duration;

use bedrud_domain::{PasswordChange, ProfileChange, RefreshError, Registration, TokenPair};
use poem::Request;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::payload::Json;

use crate::auth::Caller;
use crate::auth::cookies::{Cookies, WithCookies};
use crate::auth::token::{REFRESH_COOKIE, cookie};
use crate::context::{Client, RequestContext};
use crate::dto::auth::{
    ChangePasswordRequest, GuestLoginRequest, LoginRequest, RefreshResponse, RefreshTokenBody,
    RegisterRequest, UpdateMeRequest, UpdateMeResponse,
};
use crate::dto::settings::PublicSettingsDto;
use crate::dto::user::{LoginResponse, MessageDto, TokensDto, UserDto};
use crate::dto::{OptionalJson, Text};
use crate::error::ApiError;
use crate::routes::flow::{
    AUTH_LIMIT_429, DEACTIVATED_403, FlowError, GUARD_401, INTERNAL_500, TOO_LARGE_413,
    UNAVAILABLE_503, error_doc,
};
use crate::routes::{Tag, auth_limited, auth_limited_input, invalid_input};
use crate::{HttpState, Services};

error_doc!(
    /// Errors of `POST /api/auth/register`.
    RegisterErrors,
    [
        (
            400,
            "`Invalid input` · `Invalid email format` · `Name must be at least 2 characters` · \
             `Name must be at most 255 characters` · `Password must be at least 12 characters` · \
             `Password must be at most 128 characters` · `Unable to register with the provided \
             details` (email used by any account)"
        ),
        (403, "`Registration is currently disabled`"),
        (413, TOO_LARGE_413),
        (429, AUTH_LIMIT_429),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `POST /api/auth/login`.
    LoginErrors,
    [
        (
            400,
            "`Invalid input` · `Email and password are required` · `Password must be at most \
             128 characters`"
        ),
        (401, "`Invalid credentials`"),
        (413, TOO_LARGE_413),
        (429, AUTH_LIMIT_429),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `POST /api/auth/guest-login`.
    GuestLoginErrors,
    [
        (
            400,
            "`Invalid input` · `Name is required` · `Name must be between 2 and 50 characters`"
        ),
        (
            403,
            "`Registration is currently disabled` · `Guest login is currently disabled`"
        ),
        (413, TOO_LARGE_413),
        (429, AUTH_LIMIT_429),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `POST /api/auth/refresh`.
    RefreshErrors,
    [
        (400, "`No refresh token provided`"),
        (
            401,
            "`Invalid or expired refresh token` (bad, expired, reused or lost race) · `User not \
             found`"
        ),
        (403, DEACTIVATED_403),
        (413, TOO_LARGE_413),
        (429, AUTH_LIMIT_429),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `POST /api/auth/logout` (only the guards').
    LogoutErrors,
    [
        (401, GUARD_401),
        (403, DEACTIVATED_403),
        (413, TOO_LARGE_413),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `GET /api/auth/me` (only the guards').
    MeErrors,
    [
        (401, GUARD_401),
        (403, DEACTIVATED_403),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `PUT /api/auth/me`.
    UpdateMeErrors,
    [
        (
            400,
            "`Invalid input` · `Name must be at least 2 characters` · `Name must be at most 255 \
             characters` · `Cannot change email for OAuth accounts` · `Invalid email format` · \
             `email already in use`"
        ),
        (401, GUARD_401),
        (403, DEACTIVATED_403),
        (413, TOO_LARGE_413),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `PUT /api/auth/password`.
    PasswordErrors,
    [
        (
            400,
            "`Invalid input` · `New password must be at least 12 characters` · `New password \
             must be at most 128 characters` · `password change is only available for local \
             accounts` · `current password is incorrect`"
        ),
        (401, GUARD_401),
        (403, DEACTIVATED_403),
        (413, TOO_LARGE_413),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `GET /api/auth/settings`.
    SettingsErrors,
    [(500, INTERNAL_500), (503, UNAVAILABLE_503)]
);

/// Auth area.
pub struct AuthApi;

/// Cookies carrying a freshly issued pair, with the policy's lifetimes.
pub(crate) fn sign_in_cookies(services: &Services, state: &HttpState, pair: &TokenPair) -> Cookies {
    let policy = services.sessions.policy();
    let access = policy.access_lifetime().to_std().unwrap_or(Duration::ZERO);
    let refresh = policy.refresh_lifetime().to_std().unwrap_or(Duration::ZERO);
    state.cookies.sign_in(pair, access, refresh)
}

fn login_response(
    services: &Services,
    state: &HttpState,
    signed_in: bedrud_domain::SignedIn,
) -> WithCookies<Json<LoginResponse>> {
    let cookies = sign_in_cookies(services, state, &signed_in.tokens);
    WithCookies::new(
        Json(LoginResponse {
            user: UserDto::from(&signed_in.user),
            tokens: TokensDto::from(&signed_in.tokens),
        }),
        cookies,
    )
}

#[OpenApi(prefix_path = "/api/auth", tag = "Tag::Auth")]
impl AuthApi {
    /// Creates a local account and signs it in.
    #[oai(
        path = "/register",
        method = "post",
        operation_id = "register",
        transform = "auth_limited_input"
    )]
    async fn register(
        &self,
        services: Data<&Arc<Services>>,
        state: Data<&Arc<HttpState>>,
        client: Client,
        body: Json<RegisterRequest>,
    ) -> Result<WithCookies<Json<LoginResponse>>, FlowError<RegisterErrors>> {
        let Json(body) = body;
        let signed_in = services
            .accounts
            .register(
                Registration {
                    email: body.email.0,
                    password: body.password.0,
                    name: body.name.0,
                },
                &client.0,
            )
            .await?;
        Ok(login_response(&services, &state, signed_in))
    }

    /// Signs in with email and password.
    #[oai(
        path = "/login",
        method = "post",
        operation_id = "login",
        transform = "auth_limited_input"
    )]
    async fn login(
        &self,
        services: Data<&Arc<Services>>,
        state: Data<&Arc<HttpState>>,
        client: Client,
        body: Json<LoginRequest>,
    ) -> Result<WithCookies<Json<LoginResponse>>, FlowError<LoginErrors>> {
        let signed_in = services
            .accounts
            .login(&body.email.0, &body.password.0, &client.0)
            .await?;
        Ok(login_response(&services, &state, signed_in))
    }

    /// Creates a guest user and signs it in.
    #[oai(
        path = "/guest-login",
        method = "post",
        operation_id = "guestLogin",
        transform = "auth_limited_input"
    )]
    async fn guest_login(
        &self,
        services: Data<&Arc<Services>>,
        state: Data<&Arc<HttpState>>,
        client: Client,
        body: Json<GuestLoginRequest>,
    ) -> Result<WithCookies<Json<LoginResponse>>, FlowError<GuestLoginErrors>> {
        let signed_in = services
            .accounts
            .guest_login(&body.name.0, &client.0)
            .await?;
        Ok(login_response(&services, &state, signed_in))
    }

    /// Rotates a refresh token (body `refresh_token`/`refreshToken`, else the cookie).
    #[oai(
        path = "/refresh",
        method = "post",
        operation_id = "refresh",
        transform = "auth_limited"
    )]
    async fn refresh(
        &self,
        services: Data<&Arc<Services>>,
        state: Data<&Arc<HttpState>>,
        req: &Request,
        client: Client,
        body: OptionalJson<RefreshTokenBody>,
    ) -> Result<WithCookies<Json<RefreshResponse>>, FlowError<RefreshErrors>> {
        let token = body
            .0
            .and_then(RefreshTokenBody::token)
            .or_else(|| cookie(req, REFRESH_COOKIE))
            .ok_or_else(|| ApiError::bad_request("No refresh token provided"))?;
        match services.sessions.refresh(&token, &client.0).await {
            Ok(pair) => {
                let cookies = sign_in_cookies(&services, &state, &pair);
                Ok(WithCookies::new(
                    Json(RefreshResponse::from(&pair)),
                    cookies,
                ))
            }
            Err(RefreshError::Reuse {
                session_id,
                user_id,
            }) => {
                tracing::warn!(
                    security = true,
                    session_id = %session_id,
                    user_id = %user_id,
                    ip = %client.0.ip,
                    user_agent = %client.0.user_agent,
                    request_id = %RequestContext::of(req).request_id,
                    "refresh token reuse detected: session revoked"
                );
                Err(bedrud_domain::DomainError::from(RefreshError::Reuse {
                    session_id,
                    user_id,
                })
                .into())
            }
            Err(RefreshError::Domain(e)) => Err(e.into()),
        }
    }

    /// Revokes the caller's session (and that of a supplied refresh token of theirs)
    /// and clears the auth cookies.
    #[oai(path = "/logout", method = "post", operation_id = "logout")]
    async fn logout(
        &self,
        caller: Caller,
        services: Data<&Arc<Services>>,
        state: Data<&Arc<HttpState>>,
        req: &Request,
        body: OptionalJson<RefreshTokenBody>,
    ) -> Result<WithCookies<Json<MessageDto>>, FlowError<LogoutErrors>> {
        let token = body
            .0
            .and_then(RefreshTokenBody::token)
            .or_else(|| cookie(req, REFRESH_COOKIE));
        services
            .sessions
            .logout(&caller.0, token.as_deref())
            .await?;
        Ok(WithCookies::new(
            Json(MessageDto::new("Successfully logged out")),
            state.cookies.sign_out(),
        ))
    }

    /// The caller's account.
    #[oai(path = "/me", method = "get", operation_id = "getMe")]
    async fn me(
        &self,
        caller: Caller,
        services: Data<&Arc<Services>>,
    ) -> Result<Json<UserDto>, FlowError<MeErrors>> {
        Ok(Json(UserDto::from(&services.accounts.me(&caller.0))))
    }

    /// Updates the caller's name and, for local/passkey accounts, email.
    #[oai(
        path = "/me",
        method = "put",
        operation_id = "updateMe",
        transform = "invalid_input"
    )]
    async fn update_me(
        &self,
        caller: Caller,
        services: Data<&Arc<Services>>,
        state: Data<&Arc<HttpState>>,
        client: Client,
        body: Json<UpdateMeRequest>,
    ) -> Result<WithCookies<Json<UpdateMeResponse>>, FlowError<UpdateMeErrors>> {
        let Json(body) = body;
        let updated = services
            .accounts
            .update_me(
                &caller.0,
                ProfileChange {
                    name: body.name.0,
                    email: body.email.map(Text::into_string),
                },
                &client.0,
            )
            .await?;
        let cookies = match &updated.tokens {
            Some(pair) => sign_in_cookies(&services, &state, pair),
            None => Cookies::default(),
        };
        Ok(WithCookies::new(
            Json(UpdateMeResponse::new(
                &updated.user,
                updated.tokens.as_ref(),
            )),
            cookies,
        ))
    }

    /// Changes the caller's password; their other sessions are revoked.
    #[oai(
        path = "/password",
        method = "put",
        operation_id = "changePassword",
        transform = "invalid_input"
    )]
    async fn change_password(
        &self,
        caller: Caller,
        services: Data<&Arc<Services>>,
        body: Json<ChangePasswordRequest>,
    ) -> Result<Json<MessageDto>, FlowError<PasswordErrors>> {
        let Json(body) = body;
        services
            .accounts
            .change_password(
                &caller.0,
                PasswordChange {
                    current_password: body.current_password.map(Text::into_string),
                    new_password: body.new_password.0,
                },
            )
            .await?;
        Ok(Json(MessageDto::new("Password updated successfully")))
    }

    /// Public settings the clients read before signing in.
    #[oai(path = "/settings", method = "get", operation_id = "publicSettings")]
    async fn settings(
        &self,
        services: Data<&Arc<Services>>,
    ) -> Result<Json<PublicSettingsDto>, FlowError<SettingsErrors>> {
        Ok(Json(services.accounts.public_settings().await?.into()))
    }
}
