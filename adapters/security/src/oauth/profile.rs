//! Profile calls made with the access token: OIDC userinfo, GitHub `/user` and
//! `/user/emails`, X `/2/users/me`.

use bedrud_ports::{OAuthError, OAuthProfile};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::OAuthClients;
use super::endpoints::Endpoints;
use super::id_token::Flag;

/// The fields of an OIDC userinfo answer Bedrud reads.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct UserInfo {
    pub sub: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub email_verified: Option<Flag>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub preferred_username: Option<String>,
    #[serde(default)]
    pub picture: Option<String>,
}

/// GitHub `/user`.
#[derive(Debug, Deserialize)]
struct GithubUser {
    id: u64,
    #[serde(default)]
    login: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    avatar_url: Option<String>,
}

/// One entry of GitHub `/user/emails`.
#[derive(Debug, Deserialize)]
struct GithubEmail {
    email: String,
    #[serde(default)]
    primary: bool,
    #[serde(default)]
    verified: bool,
}

/// X `/2/users/me`.
#[derive(Debug, Deserialize)]
struct XMe {
    data: XUser,
}

#[derive(Debug, Deserialize)]
struct XUser {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    profile_image_url: Option<String>,
}

fn first_text(values: &[&Option<String>]) -> String {
    values
        .iter()
        .filter_map(|v| v.as_deref())
        .map(str::trim)
        .find(|v| !v.is_empty())
        .unwrap_or_default()
        .to_owned()
}

fn failed(e: impl Into<anyhow::Error>, url: &str) -> OAuthError {
    OAuthError::ExchangeFailed(e.into().context(url.to_owned()))
}

impl OAuthClients {
    /// GET `url` with the bearer token, as JSON. Errors: `ExchangeFailed`.
    async fn get_json<T: DeserializeOwned>(
        &self,
        url: &str,
        access_token: &str,
        accept: &str,
    ) -> Result<T, OAuthError> {
        self.http
            .get(url)
            .bearer_auth(access_token)
            .header(reqwest::header::ACCEPT, accept)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| failed(e, url))?
            .json()
            .await
            .map_err(|e| failed(e, url))
    }

    /// The OIDC userinfo of the access token's subject.
    pub(super) async fn userinfo(
        &self,
        url: &str,
        access_token: &str,
    ) -> Result<UserInfo, OAuthError> {
        self.get_json(url, access_token, "application/json").await
    }

    /// GitHub: numeric id; name, else login; the primary email when verified.
    pub(super) async fn github_profile(
        &self,
        endpoints: &Endpoints,
        access_token: &str,
    ) -> Result<OAuthProfile, OAuthError> {
        const ACCEPT: &str = "application/vnd.github+json";
        let user_url = endpoints.profile.as_deref().unwrap_or_default();
        let user: GithubUser = self.get_json(user_url, access_token, ACCEPT).await?;
        // Without the user:email scope the list is refused: then there is no email.
        let email = match endpoints.emails.as_deref() {
            Some(url) => self
                .get_json::<Vec<GithubEmail>>(url, access_token, ACCEPT)
                .await
                .ok()
                .and_then(|emails| {
                    emails
                        .into_iter()
                        .find(|e| e.primary && e.verified)
                        .map(|e| e.email)
                }),
            None => None,
        };
        Ok(OAuthProfile {
            subject: user.id.to_string(),
            email_verified: email.is_some(),
            email,
            name: first_text(&[&user.name, &user.login]),
            avatar_url: first_text(&[&user.avatar_url]),
        })
    }

    /// X: user id; name, else username; X gives no email.
    pub(super) async fn twitter_profile(
        &self,
        endpoints: &Endpoints,
        access_token: &str,
    ) -> Result<OAuthProfile, OAuthError> {
        let url = endpoints.profile.as_deref().unwrap_or_default();
        let me: XMe = self.get_json(url, access_token, "application/json").await?;
        if me.data.id.trim().is_empty() {
            return Err(failed(anyhow::anyhow!("empty user id"), url));
        }
        Ok(OAuthProfile {
            subject: me.data.id,
            email: None,
            email_verified: false,
            name: first_text(&[&me.data.name, &me.data.username]),
            avatar_url: first_text(&[&me.data.profile_image_url]),
        })
    }
}
