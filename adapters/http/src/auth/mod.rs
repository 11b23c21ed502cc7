//! Authentication at the edge: token extraction (API §2.1), the guards of §2.8 as
//! reusable extractors and middleware, and the auth cookies of §2.5.

pub mod cookies;
pub mod flow_cookies;
pub mod guards;
pub mod guest_id;
pub mod token;

pub use guards::{Authenticate, Caller, GuardClass, MaybeCaller, Member, Superadmin};
