//! `GET /api/health` and `GET /api/ready` (API §3.1).

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use crate::Services;
use crate::routes::Tag;

/// Liveness.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub struct Health {
    /// Always `healthy`.
    pub status: String,
    /// Unix seconds.
    pub time: i64,
}

/// Readiness when the database answers.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub struct Ready {
    /// `ready`.
    pub status: String,
    /// Unix seconds.
    pub time: i64,
    /// `starting`, `running`, `restarting`, `external`, `unavailable` or `disabled`.
    pub livekit: String,
}

/// Readiness when the database fails.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub struct NotReady {
    /// `not_ready`.
    pub status: String,
    /// `database unavailable`.
    pub error: String,
    /// As in [`Ready`].
    pub livekit: String,
}

/// `GET /api/ready` outcomes.
#[derive(Debug, ApiResponse)]
pub enum ReadyResponse {
    /// The database answers (LiveKit problems alone never make this fail).
    #[oai(status = 200)]
    Ready(Json<Ready>),
    /// The database does not answer.
    #[oai(status = 503)]
    NotReady(Json<NotReady>),
}

/// Health area.
pub struct HealthApi;

#[OpenApi(prefix_path = "/api", tag = "Tag::Health")]
impl HealthApi {
    /// Liveness: the process answers.
    #[oai(path = "/health", method = "get", operation_id = "health")]
    async fn health(&self) -> Json<Health> {
        Json(Health {
            status: "healthy".to_owned(),
            time: chrono::Utc::now().timestamp(),
        })
    }

    /// Readiness: pings the database and reports LiveKit's state.
    #[oai(path = "/ready", method = "get", operation_id = "ready")]
    async fn ready(&self, services: Data<&Arc<Services>>) -> ReadyResponse {
        let livekit = (services.livekit_state)();
        match services.db.ping().await {
            Ok(()) => ReadyResponse::Ready(Json(Ready {
                status: "ready".to_owned(),
                time: chrono::Utc::now().timestamp(),
                livekit,
            })),
            Err(e) => {
                tracing::warn!(cause = %format!("{:#}", anyhow::Error::from(e)), "readiness: database ping failed");
                ReadyResponse::NotReady(Json(NotReady {
                    status: "not_ready".to_owned(),
                    error: "database unavailable".to_owned(),
                    livekit,
                }))
            }
        }
    }
}
