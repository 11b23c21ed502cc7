//! Passkeys (API §3.4): register, login and sign-up ceremonies, and the caller's own
//! passkeys.
//!
//! Begin answers the domain's body and sets `bedrud_webauthn` to the ceremony id; finish
//! takes the ceremony from the body's `ceremonyId`, else that cookie, and clears it on
//! success. `Passkeys are disabled` (403) is the domain's first check; a body too broken
//! to reach the domain gets the same answer first (see [`unusable_body`]).

use std::sync::Arc;

use bedrud_domain::passkeys::{INVALID_INPUT, PASSKEYS_DISABLED};
use bedrud_domain::{CredentialBody, PasskeyBegin, PasskeySignup, SignedIn};
use poem::Request;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;

use crate::auth::Caller;
use crate::auth::cookies::Cookies;
use crate::auth::flow_cookies::{CookieDoc, SetCookies, WEBAUTHN_COOKIE};
use crate::auth::token::cookie;
use crate::context::Client;
use crate::dto::passkey::{
    CreationBegin, PasskeyCredential, PasskeyDto, PasskeyLoginBeginRequest, PasskeyOptions,
    PasskeySignupRequest, RequestBegin,
};
use crate::dto::user::{LoginResponse, MessageDto, TokensDto, UserDto};
use crate::dto::{OptionalJson, Text};
use crate::error::ApiError;
use crate::ids;
use crate::routes::auth::sign_in_cookies;
use crate::routes::flow::{
    AUTH_LIMIT_429, FlowError, GUARD_401, INTERNAL_500, JsonBody, TOO_LARGE_413, UNAVAILABLE_503,
    error_doc,
};
use crate::routes::{Tag, auth_limited, auth_limited_input, invalid_input};
use crate::{HttpState, Services};

/// `Set-Cookie` of the begin steps.
pub struct CeremonyCookie;

impl CookieDoc for CeremonyCookie {
    const SET_COOKIE: &'static str = "`bedrud_webauthn` = the ceremony id (Max-Age 300, Path \
                                      `/api/auth/passkey`, HttpOnly, Secure and SameSite as \
                                      `access_token`)";
}

/// `Set-Cookie` of register/finish.
pub struct CeremonyCleared;

impl CookieDoc for CeremonyCleared {
    const SET_COOKIE: &'static str = "`bedrud_webauthn` expired";
}

/// `Set-Cookie` of login/finish and signup/finish.
pub struct SignedInCleared;

impl CookieDoc for SignedInCleared {
    const SET_COOKIE: &'static str = "`access_token` and `refresh_token` (HttpOnly) for the new \
                                      session; `bedrud_webauthn` expired";
}

/// A begin response: the options and the ceremony cookie.
type Begun<D> = SetCookies<Json<PasskeyOptions<D>>, CeremonyCookie>;

const DISABLED_403: &str = "`Passkeys are disabled`";
const USER_403: &str = "`Account is deactivated` · `Passkeys are disabled`";

error_doc!(
    /// Errors of `POST /api/auth/passkey/register/begin`.
    RegisterBeginErrors,
    [
        (401, GUARD_401),
        (403, USER_403),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `POST /api/auth/passkey/register/finish`.
    RegisterFinishErrors,
    [
        (
            400,
            "`Invalid input` · `Challenge not found or expired` · `Invalid clientDataJSON \
             encoding` · `Invalid attestationObject encoding` · `Passkey verification failed` · \
             `passkey already registered`"
        ),
        (401, GUARD_401),
        (403, USER_403),
        (413, TOO_LARGE_413),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `POST /api/auth/passkey/login/begin`.
    LoginBeginErrors,
    [
        (403, DISABLED_403),
        (413, TOO_LARGE_413),
        (429, AUTH_LIMIT_429),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `POST /api/auth/passkey/login/finish`.
    LoginFinishErrors,
    [
        (
            400,
            "`Invalid input` · `Challenge not found or expired` · `Invalid credentialId \
             encoding` · `Invalid clientDataJSON encoding` · `Invalid authenticatorData \
             encoding` · `Invalid signature encoding`"
        ),
        (
            401,
            "`passkey not found` · `account is deactivated` · `authentication verification \
             failed` (signature, userHandle, counter)"
        ),
        (403, DISABLED_403),
        (413, TOO_LARGE_413),
        (429, AUTH_LIMIT_429),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `POST /api/auth/passkey/signup/begin`.
    SignupBeginErrors,
    [
        (
            400,
            "`Invalid input` · `Email and Name are required` · `Invalid email format` · `Name \
             must be between 2 and 100 characters` · `Unable to register with the provided \
             details` (email exists)"
        ),
        (
            403,
            "`Passkeys are disabled` · `Registration is currently disabled`"
        ),
        (413, TOO_LARGE_413),
        (429, AUTH_LIMIT_429),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `POST /api/auth/passkey/signup/finish`.
    SignupFinishErrors,
    [
        (
            400,
            "`Invalid input` · `Signup session expired or not found` · `Invalid clientDataJSON \
             encoding` · `Invalid attestationObject encoding` · `Passkey verification failed` · \
             `Unable to register with the provided details` (email taken meanwhile) · `passkey \
             already registered`"
        ),
        (403, DISABLED_403),
        (413, TOO_LARGE_413),
        (429, AUTH_LIMIT_429),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `GET /api/auth/passkeys`.
    ListErrors,
    [
        (401, GUARD_401),
        (403, USER_403),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `DELETE /api/auth/passkeys/:id`.
    DeleteErrors,
    [
        (401, GUARD_401),
        (403, USER_403),
        (
            404,
            "`Passkey not found` (unknown, malformed or someone else's)"
        ),
        (
            409,
            "`Cannot delete your only sign-in method` (`passkey` account without a password, \
             last passkey)"
        ),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);

/// The begin response for `begin`: its body and the `bedrud_webauthn` cookie.
fn begun<D>(state: &HttpState, begin: &PasskeyBegin) -> Begun<D> {
    SetCookies::new(
        Json(PasskeyOptions::new(begin.body())),
        Cookies(vec![state.cookies.webauthn(&begin.ceremony_id)]),
    )
}

/// The answer to a body that cannot reach the domain (missing, not JSON, wrong shape):
/// `Passkeys are disabled` when they are — the domain's first check, the same effective
/// setting — else 400 `Invalid input`.
async fn unusable_body(services: &Services) -> ApiError {
    match services.accounts.public_settings().await {
        Ok(settings) if !settings.passkeys_enabled => ApiError::forbidden(PASSKEYS_DISABLED),
        Ok(_) => ApiError::bad_request(INVALID_INPUT),
        Err(e) => e.into(),
    }
}

/// A finish body as the domain reads it.
async fn credential(
    services: &Services,
    body: &JsonBody<PasskeyCredential>,
) -> Result<CredentialBody, ApiError> {
    match body.deserialize::<CredentialBody>() {
        Some(credential) => Ok(credential),
        None => Err(unusable_body(services).await),
    }
}

/// LoginResponse + auth cookies, and `bedrud_webauthn` cleared.
fn signed_in(
    services: &Services,
    state: &HttpState,
    signed_in: &SignedIn,
) -> SetCookies<Json<LoginResponse>, SignedInCleared> {
    let mut cookies = sign_in_cookies(services, state, &signed_in.tokens);
    cookies.0.push(state.cookies.clear_webauthn());
    SetCookies::new(
        Json(LoginResponse {
            user: UserDto::from(&signed_in.user),
            tokens: TokensDto::from(&signed_in.tokens),
        }),
        cookies,
    )
}

/// Passkeys area.
pub struct PasskeysApi;

#[OpenApi(prefix_path = "/api/auth", tag = "Tag::Auth")]
impl PasskeysApi {
    /// Starts registering a passkey for the caller (no body). Sets `bedrud_webauthn`.
    #[oai(
        path = "/passkey/register/begin",
        method = "post",
        operation_id = "passkeyRegisterBegin"
    )]
    async fn register_begin(
        &self,
        caller: Caller,
        services: Data<&Arc<Services>>,
        state: Data<&Arc<HttpState>>,
    ) -> Result<Begun<CreationBegin>, FlowError<RegisterBeginErrors>> {
        let begin = services.passkeys.register_begin(&caller.0).await?;
        Ok(begun(&state, &begin))
    }

    /// Verifies the attestation and stores the passkey under the caller; the ceremony
    /// comes from `ceremonyId`, else the `bedrud_webauthn` cookie (cleared on success).
    #[oai(
        path = "/passkey/register/finish",
        method = "post",
        operation_id = "passkeyRegisterFinish",
        transform = "invalid_input"
    )]
    async fn register_finish(
        &self,
        caller: Caller,
        services: Data<&Arc<Services>>,
        state: Data<&Arc<HttpState>>,
        req: &Request,
        body: JsonBody<PasskeyCredential>,
    ) -> Result<SetCookies<Json<MessageDto>, CeremonyCleared>, FlowError<RegisterFinishErrors>>
    {
        let credential = credential(&services, &body).await?;
        services
            .passkeys
            .register_finish(
                &caller.0,
                &credential,
                cookie(req, WEBAUTHN_COOKIE).as_deref(),
            )
            .await?;
        Ok(SetCookies::new(
            Json(MessageDto::new("Passkey registered successfully")),
            Cookies(vec![state.cookies.clear_webauthn()]),
        ))
    }

    /// Starts a passkey login: with an `email`, `allowCredentials` lists its passkeys;
    /// without one the login is discoverable. The body is optional and ignored when
    /// unparsable. Sets `bedrud_webauthn`.
    #[oai(
        path = "/passkey/login/begin",
        method = "post",
        operation_id = "passkeyLoginBegin",
        transform = "auth_limited"
    )]
    async fn login_begin(
        &self,
        services: Data<&Arc<Services>>,
        state: Data<&Arc<HttpState>>,
        body: OptionalJson<PasskeyLoginBeginRequest>,
    ) -> Result<Begun<RequestBegin>, FlowError<LoginBeginErrors>> {
        let email = body.0.and_then(|b| b.email).map(Text::into_string);
        let begin = services.passkeys.login_begin(email.as_deref()).await?;
        Ok(begun(&state, &begin))
    }

    /// Verifies the assertion and signs the credential's owner in with a new session;
    /// the ceremony comes from `ceremonyId`, else the `bedrud_webauthn` cookie (cleared
    /// on success).
    #[oai(
        path = "/passkey/login/finish",
        method = "post",
        operation_id = "passkeyLoginFinish",
        transform = "auth_limited_input"
    )]
    async fn login_finish(
        &self,
        services: Data<&Arc<Services>>,
        state: Data<&Arc<HttpState>>,
        req: &Request,
        client: Client,
        body: JsonBody<PasskeyCredential>,
    ) -> Result<SetCookies<Json<LoginResponse>, SignedInCleared>, FlowError<LoginFinishErrors>>
    {
        let credential = credential(&services, &body).await?;
        let done = services
            .passkeys
            .login_finish(
                &credential,
                cookie(req, WEBAUTHN_COOKIE).as_deref(),
                &client.0,
            )
            .await?;
        Ok(signed_in(&services, &state, &done))
    }

    /// Starts a passkey sign-up for a new account. Sets `bedrud_webauthn`.
    #[oai(
        path = "/passkey/signup/begin",
        method = "post",
        operation_id = "passkeySignupBegin",
        transform = "auth_limited_input"
    )]
    async fn signup_begin(
        &self,
        services: Data<&Arc<Services>>,
        state: Data<&Arc<HttpState>>,
        body: JsonBody<PasskeySignupRequest>,
    ) -> Result<Begun<CreationBegin>, FlowError<SignupBeginErrors>> {
        let Some(body) = body.parse::<PasskeySignupRequest>() else {
            return Err(unusable_body(&services).await.into());
        };
        let input = PasskeySignup {
            email: body.email.map(Text::into_string).unwrap_or_default(),
            name: body.name.map(Text::into_string).unwrap_or_default(),
        };
        let begin = services.passkeys.signup_begin(input).await?;
        Ok(begun(&state, &begin))
    }

    /// Verifies the attestation, creates the account with its passkey and signs it in;
    /// the ceremony comes from `ceremonyId`, else the `bedrud_webauthn` cookie (cleared
    /// on success).
    #[oai(
        path = "/passkey/signup/finish",
        method = "post",
        operation_id = "passkeySignupFinish",
        transform = "auth_limited_input"
    )]
    async fn signup_finish(
        &self,
        services: Data<&Arc<Services>>,
        state: Data<&Arc<HttpState>>,
        req: &Request,
        client: Client,
        body: JsonBody<PasskeyCredential>,
    ) -> Result<SetCookies<Json<LoginResponse>, SignedInCleared>, FlowError<SignupFinishErrors>>
    {
        let credential = credential(&services, &body).await?;
        let done = services
            .passkeys
            .signup_finish(
                &credential,
                cookie(req, WEBAUTHN_COOKIE).as_deref(),
                &client.0,
            )
            .await?;
        Ok(signed_in(&services, &state, &done))
    }

    /// The caller's passkeys, newest first.
    #[oai(path = "/passkeys", method = "get", operation_id = "listPasskeys")]
    async fn list(
        &self,
        caller: Caller,
        services: Data<&Arc<Services>>,
    ) -> Result<Json<Vec<PasskeyDto>>, FlowError<ListErrors>> {
        let passkeys = services.passkeys.list(&caller.0).await?;
        Ok(Json(passkeys.iter().map(PasskeyDto::from).collect()))
    }

    /// Deletes one of the caller's passkeys.
    #[oai(
        path = "/passkeys/:id",
        method = "delete",
        operation_id = "deletePasskey"
    )]
    async fn delete(
        &self,
        caller: Caller,
        services: Data<&Arc<Services>>,
        id: Path<String>,
    ) -> Result<Json<MessageDto>, FlowError<DeleteErrors>> {
        // A malformed id matches no passkey: the domain answers 404 after its own checks
        // (`Passkeys are disabled` first).
        let id = ids::uuid(&id.0).unwrap_or_default();
        services.passkeys.delete(&caller.0, &id).await?;
        Ok(Json(MessageDto::new("Passkey deleted")))
    }
}
