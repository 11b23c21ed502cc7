//! Bedrud's core: use cases and business rules, written against the port traits of
//! `bedrud-ports` only, so an integrator can embed it with adapters of their own.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod admin;
pub mod error;
pub mod policy;
pub mod principal;
pub mod sessions;
pub mod tokens;
pub mod validation;

#[cfg(test)]
mod testkit;

pub use accounts::{
    Accounts, PasswordChange, ProfileChange, ProfileUpdated, Registration, SignedIn,
};
pub use admin::{Admin, UserDetail, UserListParams, UserPage};
pub use error::{DomainError, DomainResult};
pub use policy::{AuthPolicy, EffectiveSettings, PublicSettings, WebxdcSettings};
pub use principal::{ClientInfo, Principal};
pub use sessions::{RefreshError, Sessions};
pub use tokens::TokenPair;
