//! One schema module per backend: the same tables, each with its backend's SQL types.

pub mod postgres;
pub mod sqlite;
