//! Bedrud's core: use cases and business rules, written against the port traits of
//! `bedrud-ports` only, so an integrator can embed it with adapters of their own.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod admin;
pub mod admin_rooms;
mod ceremonies;
pub mod error;
pub mod grants;
pub mod livekit_events;
pub mod maintenance;
pub mod media_calls;
pub mod moderation;
pub mod oauth;
pub mod passkeys;
pub mod policy;
pub mod principal;
pub mod room_names;
pub mod rooms;
pub mod sessions;
pub mod teardown;
pub mod tokens;
pub mod validation;

#[cfg(test)]
mod room_testkit;
#[cfg(test)]
mod send_checks;
#[cfg(test)]
mod testkit;

pub use accounts::{
    Accounts, PasswordChange, ProfileChange, ProfileUpdated, Registration, SignedIn,
};
pub use admin::{Admin, UserDetail, UserListParams, UserPage};
pub use admin_rooms::{AdminRoomPage, AdminRooms, AdminTokenRequest, RoomListParams};
pub use error::{DomainError, DomainResult};
pub use grants::RoomRole;
pub use livekit_events::{EventOutcome, LivekitEvents};
pub use maintenance::{
    JobReport, Maintenance, MaintenanceJob, MaintenancePolicy, MaintenancePorts,
};
pub use moderation::{Moderation, ModerationAction, ModerationOutcome, ModerationStatus};
pub use oauth::{
    OAuth, OAuthCallback, OAuthFlowError, OAuthPorts, OAuthResult, OAuthSignedIn, OAuthStart,
};
pub use passkeys::{
    CredentialBody, CredentialResponseBody, PasskeyBegin, PasskeyPorts, PasskeySignup, Passkeys,
};
pub use policy::{AuthPolicy, EffectiveSettings, PublicSettings, WebxdcSettings};
pub use principal::{ClientInfo, Principal};
pub use rooms::{
    CreatedRoom, GuestJoin, GuestJoined, JoinOutcome, JoinedRoom, NewRoom, Presence, PresenceEntry,
    RoomCheck, RoomLimits, RoomPolicy, RoomPorts, Rooms, SettingsChange, SettingsInput,
    SettingsUpdated,
};
pub use sessions::{RefreshError, Sessions};
pub use teardown::{RoomTeardown, TeardownEvent, TeardownReport};
pub use tokens::TokenPair;
