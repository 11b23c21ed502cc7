//! Request and response bodies on the wire (API §3, §4), converted to and from domain
//! types at the edge.

pub mod admin;
pub mod admin_room;
pub mod auth;
pub mod optional_json;
pub mod passkey;
pub mod room;
pub mod settings;
pub mod text;
pub mod timestamp;
pub mod user;

pub use optional_json::OptionalJson;
pub use text::Text;
pub use timestamp::Timestamp;
