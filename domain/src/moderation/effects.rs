//! What each moderation action does in LiveKit and the database once the checks
//! passed, with the failure mapping of API §6.2.

use bedrud_ports::{MediaError, Participant, ParticipantChange, Room, RoomMode, TrackSource};
use serde::Serialize;

use super::{
    Moderation, ModerationAction, ModerationOutcome, ModerationStatus, PARTICIPANT_NOT_FOUND,
};
use crate::error::{DomainError, DomainResult};
use crate::grants::{Standing, metadata, permission};
use crate::media_calls::{best_effort_if_present, media_unavailable};
use crate::principal::Principal;
use crate::teardown::SYSTEM_TOPIC;

#[derive(Serialize)]
struct ModerationMessage<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    event: &'static str,
    actor: &'a str,
    target: &'a str,
}

/// `{"type":"system","event":…,"actor":…,"target":…}`.
pub fn moderation_payload(event: &'static str, actor: &str, target: &str) -> Vec<u8> {
    let msg = ModerationMessage {
        kind: "system",
        event,
        actor,
        target,
    };
    // A struct of strings always serialises.
    serde_json::to_vec(&msg).unwrap_or_default()
}

/// Kick, mute, video off: not there → 404, anything else → 502.
fn synchronous(e: MediaError) -> DomainError {
    match e {
        MediaError::NotFound => DomainError::not_found(PARTICIPANT_NOT_FOUND),
        other => media_unavailable(other),
    }
}

fn success() -> ModerationOutcome {
    ModerationOutcome {
        status: ModerationStatus::Success,
        media_errors: Vec::new(),
    }
}

impl Moderation {
    pub(super) async fn perform(
        &self,
        caller: &Principal,
        room: &Room,
        identity: &str,
        target: Option<Participant>,
        action: ModerationAction,
    ) -> DomainResult<ModerationOutcome> {
        match action {
            ModerationAction::Kick => self.kick(caller, room, identity).await,
            ModerationAction::Ban => self.ban(caller, room, identity).await,
            ModerationAction::Mute => {
                self.mute(
                    room,
                    identity,
                    &[TrackSource::Microphone, TrackSource::ScreenShareAudio],
                )
                .await
            }
            ModerationAction::VideoOff => self.mute(room, identity, &[TrackSource::Camera]).await,
            ModerationAction::Promote | ModerationAction::Demote => {
                self.require_present(room, identity, target.as_ref())
                    .await?;
                let promote = action == ModerationAction::Promote;
                if promote && target.as_ref().is_some_and(|t| t.is_moderator) {
                    return Ok(ModerationOutcome {
                        status: ModerationStatus::AlreadyModerator,
                        media_errors: Vec::new(),
                    });
                }
                let change = ParticipantChange {
                    moderator: Some(promote),
                    ..ParticipantChange::default()
                };
                self.restage(room, identity, target.as_ref(), change, true)
                    .await
            }
            ModerationAction::StageBring | ModerationAction::StageRemove => {
                self.require_present(room, identity, target.as_ref())
                    .await?;
                let change = ParticipantChange {
                    on_stage: Some(action == ModerationAction::StageBring),
                    ..ParticipantChange::default()
                };
                // In standard rooms the stage changes only the flag and metadata.
                let with_permission = room.mode != RoomMode::Standard;
                self.restage(room, identity, target.as_ref(), change, with_permission)
                    .await
            }
        }
    }

    async fn kick(
        &self,
        caller: &Principal,
        room: &Room,
        identity: &str,
    ) -> DomainResult<ModerationOutcome> {
        let media = &self.ports.media;
        let payload = moderation_payload("kick", caller.user_id(), identity);
        media
            .send_data(&room.name, SYSTEM_TOPIC, payload)
            .await
            .map_err(synchronous)?;
        media
            .remove_participant(&room.name, identity)
            .await
            .map_err(synchronous)?;
        let change = ParticipantChange {
            active: Some(false),
            ..ParticipantChange::default()
        };
        let now = self.ports.clock.now();
        self.ports
            .participants
            .apply(&room.id, identity, change, now)
            .await?;
        Ok(success())
    }

    async fn ban(
        &self,
        caller: &Principal,
        room: &Room,
        identity: &str,
    ) -> DomainResult<ModerationOutcome> {
        // The ban is persisted first and regardless of LiveKit: the webhook removes the
        // identity again if it reconnects with an older token.
        let change = ParticipantChange {
            active: Some(false),
            banned: Some(true),
            ..ParticipantChange::default()
        };
        let now = self.ports.clock.now();
        self.ports
            .participants
            .apply(&room.id, identity, change, now)
            .await?;
        let media = &self.ports.media;
        let payload = moderation_payload("ban", caller.user_id(), identity);
        let mut media_errors = Vec::new();
        media_errors.extend(best_effort_if_present(
            media.send_data(&room.name, SYSTEM_TOPIC, payload).await,
        ));
        media_errors.extend(best_effort_if_present(
            media.remove_participant(&room.name, identity).await,
        ));
        Ok(ModerationOutcome {
            status: ModerationStatus::Success,
            media_errors,
        })
    }

    /// Mutes every unmuted published track of the given sources.
    async fn mute(
        &self,
        room: &Room,
        identity: &str,
        sources: &[TrackSource],
    ) -> DomainResult<ModerationOutcome> {
        let media = &self.ports.media;
        let participant = media
            .get_participant(&room.name, identity)
            .await
            .map_err(synchronous)?;
        let matching = participant
            .tracks
            .iter()
            .filter(|t| !t.muted && t.source.is_some_and(|s| sources.contains(&s)));
        for track in matching {
            media
                .mute_track(&room.name, identity, &track.sid, true)
                .await
                .map_err(synchronous)?;
        }
        Ok(success())
    }

    /// 404 unless the target has a row or is connected.
    async fn require_present(
        &self,
        room: &Room,
        identity: &str,
        target: Option<&Participant>,
    ) -> DomainResult<()> {
        if target.is_some() {
            return Ok(());
        }
        match self.ports.media.get_participant(&room.name, identity).await {
            Ok(_) => Ok(()),
            Err(MediaError::NotFound | MediaError::Disabled) => {
                Err(DomainError::not_found(PARTICIPANT_NOT_FOUND))
            }
            Err(e) => Err(media_unavailable(e)),
        }
    }

    /// Writes the row change, then rewrites a connected target's metadata (and, when
    /// `with_permission`, permission). LiveKit failures other than absence → 502, and the
    /// row change is undone (back to `before`), so a failed call changes nothing.
    async fn restage(
        &self,
        room: &Room,
        identity: &str,
        before: Option<&Participant>,
        change: ParticipantChange,
        with_permission: bool,
    ) -> DomainResult<ModerationOutcome> {
        let undo = ParticipantChange {
            moderator: change
                .moderator
                .map(|_| before.is_some_and(|p| p.is_moderator)),
            on_stage: change.on_stage.map(|_| before.is_some_and(|p| p.on_stage)),
            ..ParticipantChange::default()
        };
        let now = self.ports.clock.now();
        let row = self
            .ports
            .participants
            .apply(&room.id, identity, change, now)
            .await?;
        let accesses = self
            .ports
            .users
            .get(identity)
            .await?
            .map(|u| u.accesses)
            .unwrap_or_default();
        let standing = Standing::of(room, identity, Some(&row));
        let perm = with_permission.then(|| permission(&room.settings, room.mode, standing));
        let result = self
            .ports
            .media
            .update_participant(
                &room.name,
                identity,
                Some(metadata(&accesses, standing)),
                perm,
            )
            .await;
        match result {
            // Not connected: the next token carries the new state.
            Ok(()) | Err(MediaError::NotFound | MediaError::Disabled) => Ok(success()),
            Err(e) => {
                // Best effort: the 502 stands whether or not the undo succeeds.
                let _ = self
                    .ports
                    .participants
                    .apply(&room.id, identity, undo, self.ports.clock.now())
                    .await;
                Err(media_unavailable(e))
            }
        }
    }
}
