//! Cross-cutting HTTP concerns, outermost first: request id and access log, security
//! headers, CORS, body limit, compression; plus client-IP resolution.

pub mod body_limit;
pub mod client_ip;
pub mod compression;
pub mod cors;
pub mod observe;
pub mod security_headers;
