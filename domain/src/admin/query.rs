//! Validation of the `GET /api/admin/users` query parameters into a [`UserQuery`].

use bedrud_ports::{Access, Order, UserQuery, UserSort, provider};
use chrono::{DateTime, NaiveTime, TimeDelta, Utc};

use crate::error::{DomainError, DomainResult};

/// Default page size of the admin lists.
const DEFAULT_LIMIT: i64 = 50;
/// Largest page size of the admin lists.
const MAX_LIMIT: i64 = 100;
/// Largest offset a list query may ask for.
const MAX_OFFSET: i64 = 100_000;
/// Providers every server knows; configured OAuth/OIDC names are added to these.
const BUILTIN_PROVIDERS: [&str; 6] = [
    provider::LOCAL,
    provider::PASSKEY,
    provider::GUEST,
    "google",
    "github",
    "twitter",
];

/// Raw query parameters of `GET /api/admin/users`, as strings (absent = `None`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserListParams {
    pub page: Option<String>,
    pub limit: Option<String>,
    pub q: Option<String>,
    pub provider: Option<String>,
    pub role: Option<String>,
    pub status: Option<String>,
    pub verified: Option<String>,
    pub created: Option<String>,
    pub sort: Option<String>,
    pub order: Option<String>,
}

/// A validated list query and the page/limit to report back.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedUserQuery {
    pub query: UserQuery,
    pub page: i64,
    pub limit: i64,
}

/// Validates the parameters; `oauth_providers` are the configured provider names and
/// `now` anchors the `created` filter. Errors are the 400 messages of API §3.8.
pub fn validate_user_query(
    params: &UserListParams,
    oauth_providers: &[String],
    now: DateTime<Utc>,
) -> DomainResult<ValidatedUserQuery> {
    let (page, limit, offset) = paging(params.page.as_deref(), params.limit.as_deref());

    let mut providers = Vec::new();
    for item in csv(params.provider.as_deref()) {
        let known = BUILTIN_PROVIDERS.contains(&item) || oauth_providers.iter().any(|p| p == item);
        if !known {
            return Err(DomainError::invalid(format!("Invalid provider: {item}")));
        }
        push_unique(&mut providers, item.to_owned());
    }

    let mut roles = Vec::new();
    for item in csv(params.role.as_deref()) {
        let role = Access::parse(item)
            .ok_or_else(|| DomainError::invalid(format!("Invalid role: {item}")))?;
        push_unique(&mut roles, role);
    }

    let (mut want_active, mut want_inactive) = (false, false);
    for item in csv(params.status.as_deref()) {
        match item {
            "active" => want_active = true,
            "banned" => want_inactive = true,
            other => return Err(DomainError::invalid(format!("Invalid status: {other}"))),
        }
    }
    let active = match (want_active, want_inactive) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    };

    let verified = match non_empty(params.verified.as_deref()) {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => {
            return Err(DomainError::invalid(
                "Invalid verified filter, use true/false",
            ));
        }
    };

    let created_since = match non_empty(params.created.as_deref()) {
        None => None,
        Some(value) => Some(
            created_since(value, now)
                .ok_or_else(|| DomainError::invalid("Invalid created filter"))?,
        ),
    };

    let sort = match non_empty(params.sort.as_deref()) {
        None | Some("createdAt") => UserSort::CreatedAt,
        Some("name") => UserSort::Name,
        Some("email") => UserSort::Email,
        Some("provider") => UserSort::Provider,
        Some(_) => return Err(DomainError::invalid("Invalid sort field")),
    };

    let order = match non_empty(params.order.as_deref()) {
        None | Some("desc") => Order::Desc,
        Some("asc") => Order::Asc,
        Some(_) => {
            return Err(DomainError::invalid("Invalid order, must be asc or desc"));
        }
    };

    Ok(ValidatedUserQuery {
        query: UserQuery {
            q: non_empty(params.q.as_deref()).map(str::to_owned),
            providers,
            roles,
            active,
            verified,
            created_since,
            sort,
            order,
            offset,
            limit,
        },
        page,
        limit,
    })
}

/// `(page, limit, offset)`: page ≥ 1 (else 1), limit 1–100 (else 50), offset capped.
pub fn paging(page: Option<&str>, limit: Option<&str>) -> (i64, i64, i64) {
    let page = page
        .and_then(|p| p.trim().parse::<i64>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let limit = limit
        .and_then(|l| l.trim().parse::<i64>().ok())
        .filter(|l| (1..=MAX_LIMIT).contains(l))
        .unwrap_or(DEFAULT_LIMIT);
    let offset = (page - 1).saturating_mul(limit).min(MAX_OFFSET);
    (page, limit, offset)
}

/// The start of a `created` bucket: `today` (UTC midnight), `7d`, `30d`.
pub fn created_since(value: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match value {
        "today" => Some(now.date_naive().and_time(NaiveTime::MIN).and_utc()),
        "7d" => Some(now - TimeDelta::days(7)),
        "30d" => Some(now - TimeDelta::days(30)),
        _ => None,
    }
}

/// Trimmed, non-empty items of a comma-separated parameter.
fn csv(raw: Option<&str>) -> impl Iterator<Item = &str> {
    raw.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The trimmed value, or `None` when absent or blank.
fn non_empty(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|s| !s.is_empty())
}

fn push_unique<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{assert_err, t0};
    use chrono::TimeZone;

    fn params() -> UserListParams {
        UserListParams::default()
    }

    fn validate(p: UserListParams) -> DomainResult<ValidatedUserQuery> {
        validate_user_query(&p, &["keycloak".to_owned()], t0())
    }

    #[test]
    fn defaults() {
        let v = validate(params()).expect("valid");
        assert_eq!((v.page, v.limit), (1, 50));
        assert_eq!(
            v.query,
            UserQuery {
                limit: 50,
                ..UserQuery::default()
            }
        );
        assert_eq!(v.query.sort, UserSort::CreatedAt);
        assert_eq!(v.query.order, Order::Desc);
    }

    #[test]
    fn paging_clamps() {
        assert_eq!(paging(Some("3"), Some("20")), (3, 20, 40));
        assert_eq!(paging(Some("0"), Some("0")), (1, 50, 0));
        assert_eq!(paging(Some("-4"), Some("101")), (1, 50, 0));
        assert_eq!(paging(Some("abc"), Some("x")), (1, 50, 0));
        assert_eq!(paging(None, Some("100")), (1, 100, 0));
        assert_eq!(paging(Some("1"), Some("1")), (1, 1, 0));
        assert_eq!(paging(Some("2001"), Some("50")), (2001, 50, 100_000));
        assert_eq!(paging(Some("2002"), Some("50")), (2002, 50, 100_000));
        assert_eq!(
            paging(Some(&i64::MAX.to_string()), Some("100")),
            (i64::MAX, 100, 100_000)
        );
    }

    #[test]
    fn filters_are_parsed() {
        let v = validate(UserListParams {
            q: Some("  50%_off ".into()),
            provider: Some("local, passkey,twitter,keycloak,local,".into()),
            role: Some("superadmin,guest".into()),
            status: Some("banned".into()),
            verified: Some("true".into()),
            created: Some("7d".into()),
            sort: Some("email".into()),
            order: Some("asc".into()),
            page: Some("2".into()),
            limit: Some("10".into()),
        })
        .expect("valid");
        let q = v.query;
        assert_eq!(q.q.as_deref(), Some("50%_off"));
        assert_eq!(q.providers, vec!["local", "passkey", "twitter", "keycloak"]);
        assert_eq!(q.roles, vec![Access::Superadmin, Access::Guest]);
        assert_eq!(q.active, Some(false));
        assert_eq!(q.verified, Some(true));
        assert_eq!(q.created_since, Some(t0() - TimeDelta::days(7)));
        assert_eq!((q.sort, q.order), (UserSort::Email, Order::Asc));
        assert_eq!((q.offset, q.limit, v.page), (10, 10, 2));
    }

    #[test]
    fn status_both_means_everyone() {
        let v = validate(UserListParams {
            status: Some("active,banned".into()),
            ..params()
        })
        .expect("valid");
        assert_eq!(v.query.active, None);
        let v = validate(UserListParams {
            status: Some("active".into()),
            ..params()
        })
        .expect("valid");
        assert_eq!(v.query.active, Some(true));
    }

    #[test]
    fn created_today_is_since_utc_midnight() {
        let now = Utc
            .with_ymd_and_hms(2026, 3, 1, 0, 30, 0)
            .single()
            .expect("instant");
        let midnight = Utc
            .with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
            .single()
            .expect("instant");
        assert_eq!(created_since("today", now), Some(midnight));
        assert_eq!(created_since("30d", now), Some(now - TimeDelta::days(30)));
        assert_eq!(created_since("1d", now), None);
    }

    #[test]
    fn errors_have_the_contract_messages() {
        let cases = [
            (
                UserListParams {
                    provider: Some("local,facebook".into()),
                    ..params()
                },
                "Invalid provider: facebook",
            ),
            (
                UserListParams {
                    role: Some("user,root".into()),
                    ..params()
                },
                "Invalid role: root",
            ),
            (
                UserListParams {
                    status: Some("suspended".into()),
                    ..params()
                },
                "Invalid status: suspended",
            ),
            (
                UserListParams {
                    verified: Some("yes".into()),
                    ..params()
                },
                "Invalid verified filter, use true/false",
            ),
            (
                UserListParams {
                    created: Some("yesterday".into()),
                    ..params()
                },
                "Invalid created filter",
            ),
            (
                UserListParams {
                    sort: Some("createdat".into()),
                    ..params()
                },
                "Invalid sort field",
            ),
            (
                UserListParams {
                    order: Some("up".into()),
                    ..params()
                },
                "Invalid order, must be asc or desc",
            ),
        ];
        for (p, message) in cases {
            assert_err(validate(p), "invalid", message);
        }
    }

    #[test]
    fn errors_follow_the_table_order() {
        let all_bad = UserListParams {
            provider: Some("x".into()),
            role: Some("y".into()),
            order: Some("z".into()),
            ..params()
        };
        assert_err(validate(all_bad), "invalid", "Invalid provider: x");
        let later_bad = UserListParams {
            sort: Some("id".into()),
            order: Some("z".into()),
            ..params()
        };
        assert_err(validate(later_bad), "invalid", "Invalid sort field");
    }

    #[test]
    fn unconfigured_oidc_names_are_rejected() {
        assert_err(
            validate_user_query(
                &UserListParams {
                    provider: Some("keycloak".into()),
                    ..params()
                },
                &[],
                t0(),
            ),
            "invalid",
            "Invalid provider: keycloak",
        );
    }

    #[test]
    fn blank_values_are_absent() {
        let v = validate(UserListParams {
            q: Some("   ".into()),
            provider: Some(" , ".into()),
            verified: Some("".into()),
            created: Some(" ".into()),
            sort: Some("".into()),
            ..params()
        })
        .expect("valid");
        assert_eq!(v.query.q, None);
        assert!(v.query.providers.is_empty());
        assert_eq!(v.query.verified, None);
        assert_eq!(v.query.created_since, None);
    }
}
