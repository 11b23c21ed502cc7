//! Cron schedules: parsing (six fields, seconds first, as tokio-cron-scheduler reads them)
//! and the scheduled time a firing belongs to, which keys the run in the database.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds};

/// Parses a six-field cron expression (`sec min hour day-of-month month day-of-week`).
pub fn parse(schedule: &str) -> anyhow::Result<Cron> {
    CronParser::builder()
        .seconds(Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(schedule.trim())
        .map_err(|e| anyhow::anyhow!("invalid cron expression {schedule:?}: {e}"))
}

/// The latest scheduled time at or before `now`: the tick a firing at `now` runs. The
/// scheduler fires at or after a tick (it polls twice a second), so every instance that
/// fires for one tick computes the same value, whatever its delay.
pub fn tick_at(cron: &Cron, now: DateTime<Utc>) -> DateTime<Utc> {
    let second = now.duration_trunc(TimeDelta::seconds(1)).unwrap_or(now);
    cron.find_previous_occurrence(&second, true)
        .unwrap_or(second)
}

/// `now` at the microsecond precision both databases keep (for manual runs' ticks).
pub fn micros(now: DateTime<Utc>) -> DateTime<Utc> {
    now.duration_trunc(TimeDelta::microseconds(1))
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(h: u32, m: u32, s: u32, ms: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, h, m, s)
            .single()
            .expect("valid")
            + TimeDelta::milliseconds(ms)
    }

    #[test]
    fn every_second_ticks_on_the_second() {
        let cron = parse("* * * * * *").expect("parses");
        assert_eq!(tick_at(&cron, at(10, 0, 5, 0)), at(10, 0, 5, 0));
        assert_eq!(tick_at(&cron, at(10, 0, 5, 999)), at(10, 0, 5, 0));
    }

    #[test]
    fn late_firings_map_to_their_tick() {
        let minute = parse("0 * * * * *").expect("parses");
        assert_eq!(tick_at(&minute, at(10, 7, 0, 450)), at(10, 7, 0, 0));
        assert_eq!(tick_at(&minute, at(10, 7, 2, 0)), at(10, 7, 0, 0));
        let hourly = parse("0 0 * * * *").expect("parses");
        assert_eq!(tick_at(&hourly, at(11, 0, 0, 600)), at(11, 0, 0, 0));
        let daily = parse("0 30 3 * * *").expect("parses");
        assert_eq!(tick_at(&daily, at(3, 30, 1, 0)), at(3, 30, 0, 0));
    }

    #[test]
    fn bad_expressions_are_refused() {
        assert!(parse("* * * * *").is_err(), "seconds are required");
        assert!(parse("nonsense").is_err());
        assert!(parse("61 * * * * *").is_err());
    }

    #[test]
    fn micros_truncates() {
        let t = at(1, 2, 3, 0) + TimeDelta::nanoseconds(1_234_567);
        assert_eq!(micros(t), at(1, 2, 3, 0) + TimeDelta::microseconds(1_234));
    }
}
