//! The contract between Bedrud's core and the world.
//!
//! Entity types that cross the boundary live in [`model`]; outbound port traits
//! (stores, clock, ids, security, media) live in the other modules. Every trait is
//! mockable with the `mock` feature so the domain can be unit-tested in isolation.
#![forbid(unsafe_code)]

pub mod error;
pub mod jobs;
pub mod maintenance;
pub mod media;
pub mod model;
pub mod oauth;
pub mod passkeys;
pub mod query;
pub mod security;
pub mod store;
pub mod system;

pub use error::{StoreError, StoreResult};
pub use jobs::*;
pub use maintenance::*;
pub use media::*;
pub use model::*;
pub use oauth::*;
pub use passkeys::*;
pub use query::*;
pub use security::*;
pub use store::*;
pub use system::*;
