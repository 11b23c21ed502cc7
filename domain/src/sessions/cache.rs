//! Short-lived in-process cache of the per-request (session, user) lookup (API §2.3).
//!
//! Entries live at most the configured lifetime (≤ 5 s), so changes made by other
//! instances show within that bound; changes made through this instance's use cases
//! drop the affected entries at once.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use bedrud_ports::{Session, User};
use chrono::{DateTime, TimeDelta, Utc};

/// Above this many entries an insert first drops the stale ones.
const PRUNE_ABOVE: usize = 10_000;

struct Entry {
    user: User,
    session: Session,
    loaded_at: DateTime<Utc>,
}

/// Cache keyed by session id.
pub(crate) struct SessionCache {
    ttl: TimeDelta,
    entries: Mutex<HashMap<String, Entry>>,
}

impl SessionCache {
    /// A cache whose entries live `ttl`; a zero `ttl` caches nothing.
    pub(crate) fn new(ttl: TimeDelta) -> Self {
        SessionCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding the lock cannot leave a half-written entry behind
        // (inserts and removals are single map operations), so poison is harmless.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn fresh(&self, entry: &Entry, now: DateTime<Utc>) -> bool {
        now >= entry.loaded_at && now - entry.loaded_at < self.ttl
    }

    /// The cached pair for `session_id`, when loaded less than `ttl` ago.
    pub(crate) fn get(&self, session_id: &str, now: DateTime<Utc>) -> Option<(User, Session)> {
        let mut entries = self.lock();
        match entries.get(session_id) {
            Some(entry) if self.fresh(entry, now) => {
                Some((entry.user.clone(), entry.session.clone()))
            }
            Some(_) => {
                entries.remove(session_id);
                None
            }
            None => None,
        }
    }

    /// Remembers a freshly loaded pair.
    pub(crate) fn put(&self, user: User, session: Session, now: DateTime<Utc>) {
        if self.ttl <= TimeDelta::zero() {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= PRUNE_ABOVE {
            entries.retain(|_, e| now >= e.loaded_at && now - e.loaded_at < self.ttl);
        }
        entries.insert(
            session.id.clone(),
            Entry {
                user,
                session,
                loaded_at: now,
            },
        );
    }

    /// Records a `last_used_at` write in the cached session, if any.
    pub(crate) fn touched(&self, session_id: &str, at: DateTime<Utc>) {
        if let Some(entry) = self.lock().get_mut(session_id) {
            entry.session.last_used_at = at;
        }
    }

    /// Drops the entry of one session.
    pub(crate) fn forget_session(&self, session_id: &str) {
        self.lock().remove(session_id);
    }

    /// Drops every entry of one user.
    pub(crate) fn forget_user(&self, user_id: &str) {
        self.lock().retain(|_, e| e.user.id != user_id);
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{session, t0, user};

    #[test]
    fn entries_expire_after_ttl() {
        let cache = SessionCache::new(TimeDelta::seconds(5));
        cache.put(user("u1"), session("s1", "u1"), t0());
        assert!(cache.get("s1", t0() + TimeDelta::seconds(4)).is_some());
        assert!(cache.get("s1", t0() + TimeDelta::seconds(5)).is_none());
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn zero_ttl_caches_nothing() {
        let cache = SessionCache::new(TimeDelta::zero());
        cache.put(user("u1"), session("s1", "u1"), t0());
        assert!(cache.get("s1", t0()).is_none());
    }

    #[test]
    fn forget_user_drops_all_their_sessions() {
        let cache = SessionCache::new(TimeDelta::seconds(5));
        cache.put(user("u1"), session("s1", "u1"), t0());
        cache.put(user("u1"), session("s2", "u1"), t0());
        cache.put(user("u2"), session("s3", "u2"), t0());
        cache.forget_user("u1");
        assert!(cache.get("s1", t0()).is_none());
        assert!(cache.get("s2", t0()).is_none());
        assert!(cache.get("s3", t0()).is_some());
        cache.forget_session("s3");
        assert!(cache.get("s3", t0()).is_none());
    }

    #[test]
    fn touched_updates_cached_session() {
        let cache = SessionCache::new(TimeDelta::seconds(5));
        cache.put(user("u1"), session("s1", "u1"), t0());
        let later = t0() + TimeDelta::seconds(2);
        cache.touched("s1", later);
        let (_, s) = cache.get("s1", later).expect("cached");
        assert_eq!(s.last_used_at, later);
    }

    #[test]
    fn clock_going_backwards_is_not_fresh() {
        let cache = SessionCache::new(TimeDelta::seconds(5));
        cache.put(user("u1"), session("s1", "u1"), t0());
        assert!(cache.get("s1", t0() - TimeDelta::seconds(1)).is_none());
    }
}
