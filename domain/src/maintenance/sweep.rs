//! The room sweep (API §5.2): live flags and participant rows reconciled with LiveKit's
//! `ListRooms` and `ListParticipants`, then expiry and idle. LiveKit is read completely
//! before anything is written, so an unreachable LiveKit changes nothing.

use std::collections::{HashMap, HashSet};

use bedrud_ports::MediaError;
use chrono::TimeDelta;

use super::{JobReport, Maintenance, MaintenanceJob};
use crate::error::DomainResult;

const JOB: MaintenanceJob = MaintenanceJob::RoomSweep;

/// Why the sweep skipped, for its one log line.
fn unreachable(call: &str, e: MediaError) -> JobReport {
    let cause = anyhow::Error::new(e);
    JobReport::skipped(JOB, format!("LiveKit unavailable ({call}): {cause:#}"))
}

impl Maintenance {
    /// Reconciles rooms and participant rows with LiveKit, then deactivates expired and
    /// idle rooms. With LiveKit disabled only expiry and idle apply; with LiveKit
    /// unreachable nothing changes (skipped report). Errors: store failures.
    pub async fn sweep_rooms(&self) -> DomainResult<JobReport> {
        let now = self.ports.clock.now();
        let mut report = JobReport::new(JOB);
        match self.ports.media.list_rooms().await {
            Ok(running) => {
                let running: HashSet<String> = running.into_iter().map(|r| r.name).collect();
                if let Err(skipped) = self.reconcile(running, &mut report).await? {
                    return Ok(skipped);
                }
            }
            // No media server configured: nothing is ever live, nobody ever connects.
            Err(MediaError::Disabled) => {}
            Err(e) => return Ok(unreachable("ListRooms", e)),
        }
        report.add("expired", self.ports.rooms.deactivate_expired(now).await?);
        let idle_before = now - TimeDelta::minutes(self.policy.idle_timeout_minutes);
        report.add(
            "idle",
            self.ports.rooms.deactivate_idle(idle_before, now).await?,
        );
        Ok(report)
    }

    /// Corrects live flags and deactivates stale participant rows of the candidate rooms.
    /// The inner `Err` is the skipped report of a LiveKit failure (nothing written).
    async fn reconcile(
        &self,
        running: HashSet<String>,
        report: &mut JobReport,
    ) -> DomainResult<Result<(), JobReport>> {
        let now = self.ports.clock.now();
        let candidates = self
            .ports
            .sweep
            .sweep_candidates(running.iter().cloned().collect())
            .await?;
        // Room id → connected identities, for the rooms LiveKit runs.
        let mut connected: HashMap<&str, Vec<String>> = HashMap::new();
        for room in candidates.iter().filter(|r| running.contains(&r.name)) {
            match self.ports.media.list_participants(&room.name).await {
                Ok(list) => {
                    connected.insert(&room.id, list.into_iter().map(|p| p.identity).collect());
                }
                // Finished between the two calls: not running, nobody connected.
                Err(MediaError::NotFound) => {}
                Err(e) => return Ok(Err(unreachable("ListParticipants", e))),
            }
        }
        let (mut live_on, mut live_off, mut left) = (0, 0, 0);
        let joined_before = now - TimeDelta::seconds(self.policy.participant_grace_secs);
        for room in &candidates {
            let ids = connected.remove(room.id.as_str());
            let live = ids.is_some();
            // The flag only: the sweep never rewrites room fields (API §5.2), so a
            // correction does not count as activity.
            if live != room.is_live && self.ports.rooms.correct_live(&room.name, live).await? {
                if live {
                    live_on += 1;
                } else {
                    live_off += 1;
                }
            }
            if room.active_participants > 0 {
                left += self
                    .ports
                    .sweep
                    .deactivate_stale(&room.id, ids.unwrap_or_default(), joined_before, now)
                    .await?;
            }
        }
        report.add("live_on", live_on);
        report.add("live_off", live_off);
        report.add("participants_left", left);
        Ok(Ok(()))
    }
}
