//! `SettingsStore` and the liveness check on both backends.

use async_trait::async_trait;
use bedrud_ports::*;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::Db;
use crate::error::db_err;
use crate::rows::SettingsRow;

#[async_trait]
impl SettingsStore for Db {
    async fn get(&self) -> StoreResult<RuntimeSettings> {
        on_db!(self, read, |conn| {
            runtime_settings::table
                .find(1)
                .first::<SettingsRow>(conn)
                .await
                .optional()
                .map(|r| r.map(RuntimeSettings::from).unwrap_or_default())
                .map_err(db_err)
        })
    }
}
