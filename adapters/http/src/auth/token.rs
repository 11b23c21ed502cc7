//! Where a request's access token comes from (API §2.1).

use poem::Request;
use poem::http::header;

/// Name of the access-token cookie.
pub const ACCESS_COOKIE: &str = "access_token";
/// Name of the refresh-token cookie.
pub const REFRESH_COOKIE: &str = "refresh_token";

/// Where the token was found; a cookie-only token cannot authorise a mutation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// The `Authorization` header.
    Header,
    /// The `access_token` cookie.
    Cookie,
}

/// The access token: `Authorization` (after a case-insensitive `Bearer `, else the raw
/// value), else the `access_token` cookie. Empty values count as absent.
pub fn access_token(req: &Request) -> Option<(String, TokenSource)> {
    let from_header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(strip_bearer)
        .filter(|t| !t.is_empty());
    if let Some(token) = from_header {
        return Some((token.to_owned(), TokenSource::Header));
    }
    cookie(req, ACCESS_COOKIE).map(|t| (t, TokenSource::Cookie))
}

/// The token part of an `Authorization` value.
pub fn strip_bearer(value: &str) -> &str {
    let value = value.trim();
    match value.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => value[7..].trim(),
        _ if value.eq_ignore_ascii_case("bearer") => "",
        _ => value,
    }
}

/// The value of cookie `name`, if present and non-empty.
pub fn cookie(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| k.trim() == name)
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(headers: &[(&str, &str)]) -> Request {
        let mut b = Request::builder();
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.finish()
    }

    #[test]
    fn bearer_prefix_is_case_insensitive_and_optional() {
        assert_eq!(strip_bearer("Bearer abc"), "abc");
        assert_eq!(strip_bearer("bEaReR   abc "), "abc");
        assert_eq!(strip_bearer("abc.def.ghi"), "abc.def.ghi");
        assert_eq!(strip_bearer("Bearer"), "");
        assert_eq!(strip_bearer("Bearerabc"), "Bearerabc");
    }

    #[test]
    fn header_wins_over_cookie() {
        let r = req(&[("authorization", "Bearer h"), ("cookie", "access_token=c")]);
        assert_eq!(access_token(&r), Some(("h".into(), TokenSource::Header)));
        let r = req(&[("cookie", "a=1; access_token=c; b=2")]);
        assert_eq!(access_token(&r), Some(("c".into(), TokenSource::Cookie)));
        let r = req(&[("authorization", "Bearer "), ("cookie", "access_token=c")]);
        assert_eq!(access_token(&r), Some(("c".into(), TokenSource::Cookie)));
        assert_eq!(access_token(&req(&[("cookie", "access_token=")])), None);
        assert_eq!(access_token(&req(&[])), None);
    }
}
