//! Fixed-window rate limiters per client IP and route, per instance (API §2.9).
//!
//! Operations attach one through the transforms of [`crate::routes`] (`auth_limited`,
//! `guest_limited`, `api_limited`, `member_api_limited`, …); on authenticated routes the
//! limiter sits inside [`crate::auth::Authenticate`] so the guards run first.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use poem::http::{HeaderMap, HeaderValue, StatusCode};
use poem::{Endpoint, IntoResponse, Request, Response};

use crate::HttpState;
use crate::config::RateLimit;
use crate::context::RequestContext;
use crate::error::{INVALID_REQUEST_BODY, json_error, recover};

/// Windows kept before expired ones are swept.
const SWEEP_AT: usize = 10_000;
/// Hard bound on tracked windows; the oldest are dropped beyond it.
const MAX_WINDOWS: usize = 100_000;

/// Which limiter of API §2.9.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimiterKind {
    /// Sign-in routes.
    Auth,
    /// Guest join and room check.
    Guest,
    /// Room create, refresh-token, presence.
    Api,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    count: u32,
}

/// What a limiter decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// The request may proceed.
    pub allowed: bool,
    /// `X-RateLimit-Limit`.
    pub limit: u32,
    /// `X-RateLimit-Remaining`.
    pub remaining: u32,
    /// `X-RateLimit-Reset`: seconds until the window ends (≥ 1).
    pub reset_secs: u64,
}

impl Decision {
    fn write_headers(&self, headers: &mut HeaderMap) {
        headers.insert("x-ratelimit-limit", HeaderValue::from(self.limit));
        headers.insert("x-ratelimit-remaining", HeaderValue::from(self.remaining));
        headers.insert("x-ratelimit-reset", HeaderValue::from(self.reset_secs));
        if !self.allowed {
            headers.insert("retry-after", HeaderValue::from(self.reset_secs));
        }
    }
}

/// One limiter: its settings, its 429 message and its windows.
#[derive(Debug)]
pub struct Limiter {
    limit: RateLimit,
    message: &'static str,
    windows: Mutex<Windows>,
}

#[derive(Debug, Default)]
struct Windows {
    map: HashMap<String, Window>,
    last_sweep: Option<Instant>,
}

impl Limiter {
    /// A limiter with these settings answering `message` when exceeded.
    pub fn new(limit: RateLimit, message: &'static str) -> Self {
        Limiter {
            limit,
            message,
            windows: Mutex::default(),
        }
    }

    /// The 429 message.
    pub fn message(&self) -> &'static str {
        self.message
    }

    /// Counts a request for `key` at `now`; `None` when the limiter is disabled.
    pub fn check(&self, key: &str, now: Instant) -> Option<Decision> {
        if !self.limit.enabled() {
            return None;
        }
        let window = Duration::from_secs(self.limit.window_secs);
        let max = self.limit.max_requests;
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if !windows.map.contains_key(key) && windows.map.len() >= SWEEP_AT {
            windows.sweep(now, window);
        }
        let entry = windows.map.entry(key.to_owned()).or_insert(Window {
            started: now,
            count: 0,
        });
        if now.duration_since(entry.started) >= window {
            *entry = Window {
                started: now,
                count: 0,
            };
        }
        let allowed = entry.count < max;
        if allowed {
            entry.count += 1;
        }
        let left = window.saturating_sub(now.duration_since(entry.started));
        let reset_secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        Some(Decision {
            allowed,
            limit: max,
            remaining: max.saturating_sub(entry.count),
            reset_secs: reset_secs.max(1),
        })
    }

    /// Windows currently tracked (for tests and metrics).
    pub fn tracked(&self) -> usize {
        self.windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .map
            .len()
    }
}

impl Windows {
    /// Drops expired windows (at most once a second); beyond the hard bound, also the
    /// oldest live ones.
    fn sweep(&mut self, now: Instant, window: Duration) {
        let recently = self
            .last_sweep
            .is_some_and(|at| now.duration_since(at) < Duration::from_secs(1));
        if !recently {
            self.map
                .retain(|_, w| now.duration_since(w.started) < window);
            self.last_sweep = Some(now);
        }
        if self.map.len() >= MAX_WINDOWS {
            let mut starts: Vec<Instant> = self.map.values().map(|w| w.started).collect();
            starts.sort_unstable();
            if let Some(&cutoff) = starts.get(starts.len() / 10) {
                self.map.retain(|_, w| w.started > cutoff);
            }
        }
    }
}

/// The three limiters of an instance.
#[derive(Debug)]
pub struct Limiters {
    auth: Limiter,
    guest: Limiter,
    api: Limiter,
}

impl Limiters {
    /// Limiters with the configured settings and the contract's messages.
    pub fn new(auth: RateLimit, guest: RateLimit, api: RateLimit) -> Self {
        Limiters {
            auth: Limiter::new(auth, "too many requests, please try again later"),
            guest: Limiter::new(guest, "too many guest join attempts"),
            api: Limiter::new(api, "too many requests"),
        }
    }

    /// The limiter of `kind`.
    pub fn get(&self, kind: LimiterKind) -> &Limiter {
        match kind {
            LimiterKind::Auth => &self.auth,
            LimiterKind::Guest => &self.guest,
            LimiterKind::Api => &self.api,
        }
    }
}

/// Endpoint wrapper applying one limiter, keyed by route template and client IP.
pub struct Limited<E> {
    inner: E,
    kind: LimiterKind,
}

impl<E> Limited<E> {
    /// Limits `inner` with the limiter of `kind`.
    pub fn new(inner: E, kind: LimiterKind) -> Self {
        Limited { inner, kind }
    }
}

impl<E: Endpoint> Endpoint for Limited<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let decision = req.data::<Arc<HttpState>>().and_then(|state| {
            let ctx = RequestContext::of(&req);
            let key = format!(
                "{} {}",
                ctx.route_or(req.uri().path()),
                ctx.client_ip_text()
            );
            let limiter = state.limiters.get(self.kind);
            limiter
                .check(&key, Instant::now())
                .map(|d| (d, limiter.message()))
        });
        let Some((decision, message)) = decision else {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        };
        if !decision.allowed {
            let mut resp = json_error(StatusCode::TOO_MANY_REQUESTS, message);
            decision.write_headers(resp.headers_mut());
            return Ok(resp);
        }
        let mut resp = match self.inner.call(req).await {
            Ok(out) => out.into_response(),
            Err(err) => recover(err, INVALID_REQUEST_BODY),
        };
        decision.write_headers(resp.headers_mut());
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_window_counts_and_resets() {
        let l = Limiter::new(RateLimit::new(2, 60), "slow down");
        let t0 = Instant::now();
        let a = l.check("k", t0).expect("enabled");
        assert_eq!(
            (a.allowed, a.remaining, a.limit, a.reset_secs),
            (true, 1, 2, 60)
        );
        let b = l
            .check("k", t0 + Duration::from_millis(1500))
            .expect("enabled");
        assert_eq!((b.allowed, b.remaining, b.reset_secs), (true, 0, 59));
        let c = l.check("k", t0 + Duration::from_secs(2)).expect("enabled");
        assert_eq!((c.allowed, c.remaining, c.reset_secs), (false, 0, 58));
        assert!(l.check("other", t0).expect("enabled").allowed, "per key");
        let d = l.check("k", t0 + Duration::from_secs(60)).expect("enabled");
        assert_eq!((d.allowed, d.remaining, d.reset_secs), (true, 1, 60));
    }

    #[test]
    fn zero_disables() {
        let l = Limiter::new(RateLimit::new(0, 60), "x");
        assert_eq!(l.check("k", Instant::now()), None);
    }

    #[test]
    fn memory_is_bounded() {
        let l = Limiter::new(RateLimit::new(1, 1), "x");
        let t0 = Instant::now();
        for i in 0..SWEEP_AT {
            l.check(&i.to_string(), t0);
        }
        assert_eq!(l.tracked(), SWEEP_AT);
        // All of those expired: the next new key sweeps them.
        l.check("new", t0 + Duration::from_secs(2));
        assert_eq!(l.tracked(), 1);
        let live = Limiter::new(RateLimit::new(1, 3600), "x");
        for i in 0..(MAX_WINDOWS + 10) {
            live.check(&i.to_string(), t0 + Duration::from_micros(i as u64));
        }
        assert!(live.tracked() <= MAX_WINDOWS);
    }
}
