//! The one moderation permission table (API §3.6), applied identically by every action.

use serde::Serialize;

/// A moderation action on one identity in one room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModerationAction {
    Kick,
    Mute,
    Ban,
    VideoOff,
    Promote,
    Demote,
    StageBring,
    StageRemove,
}

/// The actor's strongest standing in the room: **S**, **A** or **M** of §3.6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// Global `superadmin`.
    Superadmin,
    /// The room admin (`adminId`, fallback `createdBy`).
    RoomAdmin,
    /// A room moderator (`is_moderator` on their row).
    RoomModerator,
}

impl ModerationAction {
    /// Every action, for exhaustive tests and route tables.
    pub const ALL: [ModerationAction; 8] = [
        ModerationAction::Kick,
        ModerationAction::Mute,
        ModerationAction::Ban,
        ModerationAction::VideoOff,
        ModerationAction::Promote,
        ModerationAction::Demote,
        ModerationAction::StageBring,
        ModerationAction::StageRemove,
    ];

    /// Whether `actor` may perform this action: S and A always; M all but promote and
    /// demote.
    pub fn allows(self, actor: Actor) -> bool {
        match actor {
            Actor::Superadmin | Actor::RoomAdmin => true,
            Actor::RoomModerator => {
                !matches!(self, ModerationAction::Promote | ModerationAction::Demote)
            }
        }
    }

    /// The 403 message when a non-superadmin targets the room admin.
    pub fn admin_target_message(self) -> &'static str {
        match self {
            ModerationAction::Kick => "Cannot kick the room admin",
            ModerationAction::Mute => "Cannot mute the room admin",
            ModerationAction::Ban => "Cannot ban the room admin",
            _ => "Cannot perform this action on the room admin",
        }
    }

    /// The route segment(s) of the action, e.g. `video/:identity/off` → `video_off`.
    pub fn as_str(self) -> &'static str {
        match self {
            ModerationAction::Kick => "kick",
            ModerationAction::Mute => "mute",
            ModerationAction::Ban => "ban",
            ModerationAction::VideoOff => "video_off",
            ModerationAction::Promote => "promote",
            ModerationAction::Demote => "demote",
            ModerationAction::StageBring => "stage_bring",
            ModerationAction::StageRemove => "stage_remove",
        }
    }
}

/// The `status` of a successful moderation answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModerationStatus {
    /// `{"status":"success"}`.
    Success,
    /// `{"status":"already_moderator"}` (promote of a moderator).
    AlreadyModerator,
}

impl ModerationStatus {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ModerationStatus::Success => "success",
            ModerationStatus::AlreadyModerator => "already_moderator",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_permission_table() {
        use ModerationAction::*;
        for action in ModerationAction::ALL {
            assert!(action.allows(Actor::Superadmin), "{action:?}");
            assert!(action.allows(Actor::RoomAdmin), "{action:?}");
            let by_moderator = !matches!(action, Promote | Demote);
            assert_eq!(
                action.allows(Actor::RoomModerator),
                by_moderator,
                "{action:?}"
            );
        }
    }

    #[test]
    fn admin_target_messages() {
        use ModerationAction::*;
        assert_eq!(Kick.admin_target_message(), "Cannot kick the room admin");
        assert_eq!(Mute.admin_target_message(), "Cannot mute the room admin");
        assert_eq!(Ban.admin_target_message(), "Cannot ban the room admin");
        for other in [VideoOff, Promote, Demote, StageBring, StageRemove] {
            assert_eq!(
                other.admin_target_message(),
                "Cannot perform this action on the room admin"
            );
        }
    }

    #[test]
    fn status_spelling() {
        assert_eq!(ModerationStatus::Success.as_str(), "success");
        assert_eq!(
            serde_json::to_string(&ModerationStatus::AlreadyModerator).expect("json"),
            r#""already_moderator""#
        );
    }
}
