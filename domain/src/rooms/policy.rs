//! Room configuration the use cases need (API §7 `[rooms]`, `livekit.token_ttl_minutes`).

use bedrud_ports::RuntimeSettings;
use chrono::TimeDelta;

/// Configuration of rooms and join tokens; `Default` matches API §7.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomPolicy {
    /// Lifetime of a new room (`rooms.default_ttl_hours`).
    pub default_ttl_hours: i64,
    /// Idle rule of the sweep (`rooms.idle_timeout_minutes`).
    pub idle_timeout_minutes: i64,
    /// Largest `maxParticipants` (`rooms.max_participants_limit`), unless overridden.
    pub max_participants_limit: i32,
    /// Active rooms per user, 0 = unlimited (`rooms.max_rooms_per_user`), unless overridden.
    pub max_rooms_per_user: i32,
    /// LiveKit join-token lifetime (`livekit.token_ttl_minutes`).
    pub token_ttl_minutes: i64,
}

impl Default for RoomPolicy {
    fn default() -> Self {
        RoomPolicy {
            default_ttl_hours: 24,
            idle_timeout_minutes: 5,
            max_participants_limit: 1000,
            max_rooms_per_user: 100,
            token_ttl_minutes: 120,
        }
    }
}

/// The room limits in force after the runtime settings row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomLimits {
    pub max_participants: i32,
    /// 0 (or less) = unlimited.
    pub max_rooms_per_user: i32,
}

impl RoomPolicy {
    /// Each runtime override that is set replaces the configured limit.
    pub fn limits(&self, runtime: &RuntimeSettings) -> RoomLimits {
        RoomLimits {
            max_participants: runtime
                .max_participants_limit
                .unwrap_or(self.max_participants_limit),
            max_rooms_per_user: runtime
                .max_rooms_per_user
                .unwrap_or(self.max_rooms_per_user),
        }
    }

    /// Lifetime of a new room, at least one hour.
    pub fn room_lifetime(&self) -> TimeDelta {
        TimeDelta::hours(self.default_ttl_hours.clamp(1, 87_600))
    }

    /// How long a room may sit idle before the sweep closes it, at least one minute.
    pub fn idle_timeout(&self) -> TimeDelta {
        TimeDelta::minutes(self.idle_timeout_minutes.clamp(1, 525_600))
    }

    /// Join-token lifetime in seconds, at least one minute.
    pub fn token_ttl_secs(&self) -> u64 {
        // Clamped to a positive range, so the conversion cannot fail.
        u64::try_from(self.token_ttl_minutes.clamp(1, 525_600) * 60).unwrap_or(7_200)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_contract() {
        let p = RoomPolicy::default();
        assert_eq!(p.room_lifetime(), TimeDelta::hours(24));
        assert_eq!(p.idle_timeout(), TimeDelta::minutes(5));
        assert_eq!(p.token_ttl_secs(), 7_200);
        assert_eq!(
            p.limits(&RuntimeSettings::default()),
            RoomLimits {
                max_participants: 1000,
                max_rooms_per_user: 100
            }
        );
    }

    #[test]
    fn runtime_row_overrides_limits() {
        let runtime = RuntimeSettings {
            max_participants_limit: Some(10),
            max_rooms_per_user: Some(0),
            ..RuntimeSettings::default()
        };
        assert_eq!(
            RoomPolicy::default().limits(&runtime),
            RoomLimits {
                max_participants: 10,
                max_rooms_per_user: 0
            }
        );
    }

    #[test]
    fn durations_are_bounded() {
        let p = RoomPolicy {
            default_ttl_hours: 0,
            idle_timeout_minutes: -3,
            token_ttl_minutes: 0,
            ..RoomPolicy::default()
        };
        assert_eq!(p.room_lifetime(), TimeDelta::hours(1));
        assert_eq!(p.idle_timeout(), TimeDelta::minutes(1));
        assert_eq!(p.token_ttl_secs(), 60);
    }
}
