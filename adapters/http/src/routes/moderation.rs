//! Moderation (API §3.6): kick, mute, ban, video off, promote, demote, stage bring and
//! remove. Auth **user**; the body is ignored.

use std::sync::Arc;

use bedrud_domain::ModerationAction;
use poem::Request;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;

use crate::Services;
use crate::auth::Caller;
use crate::context::RequestContext;
use crate::dto::room::ModerationResultDto;
use crate::media_log::warn_media;
use crate::routes::Tag;
use crate::routes::flow::{
    ErrorDoc, FlowError, GUARD_401, INTERNAL_500, MEDIA_502, TOO_LARGE_413, UNAVAILABLE_503,
    error_doc,
};
use crate::routes::rooms::room_id;

type ApiResult<T, D> = Result<T, FlowError<D>>;

const SELF_400: &str = "`Cannot perform this action on yourself`";
const ROOM_404: &str = "`Room not found` (unknown, archived or malformed id)";

error_doc!(
    /// Errors of kick, mute, video off, promote, demote and stage bring/remove.
    ModerationErrors,
    [
        (400, SELF_400),
        (401, GUARD_401),
        (
            403,
            "`Account is deactivated` · `Insufficient permissions` · `Cannot kick the room \
             admin` · `Cannot mute the room admin` · `Cannot perform this action on the room \
             admin`"
        ),
        (
            404,
            "`Room not found` (unknown, archived or malformed id) · `Participant not found`"
        ),
        (413, TOO_LARGE_413),
        (500, INTERNAL_500),
        (502, MEDIA_502),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of ban (LiveKit failures are only logged).
    BanErrors,
    [
        (400, SELF_400),
        (401, GUARD_401),
        (
            403,
            "`Account is deactivated` · `Insufficient permissions` · `Cannot ban the room admin`"
        ),
        (404, ROOM_404),
        (413, TOO_LARGE_413),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);

/// Runs one action and answers its status; best-effort failures (ban) are logged.
async fn act<D: ErrorDoc>(
    caller: &Caller,
    services: &Services,
    req: &Request,
    room: &str,
    identity: &str,
    action: ModerationAction,
) -> ApiResult<Json<ModerationResultDto>, D> {
    let id = room_id(room)?;
    let outcome = services
        .moderation
        .act(&caller.0, &id, identity, action)
        .await?;
    warn_media(
        &RequestContext::of(req).request_id,
        action.as_str(),
        &id,
        &outcome.media_errors,
    );
    Ok(Json(ModerationResultDto {
        status: outcome.status.as_str().to_owned(),
    }))
}

/// Moderation area.
pub struct ModerationApi;

#[OpenApi(prefix_path = "/api/room", tag = "Tag::Moderation")]
impl ModerationApi {
    /// Disconnects a participant (data message `kick`, then `RemoveParticipant`).
    #[oai(
        path = "/:roomId/kick/:identity",
        method = "post",
        operation_id = "kickParticipant"
    )]
    async fn kick(
        &self,
        caller: Caller,
        services: Data<&Arc<Services>>,
        req: &Request,
        /// Room UUID.
        #[oai(name = "roomId")]
        room: Path<String>,
        /// LiveKit identity (user id or `guest-xxxxxxxx`).
        identity: Path<String>,
    ) -> ApiResult<Json<ModerationResultDto>, ModerationErrors> {
        act(
            &caller,
            &services,
            req,
            &room.0,
            &identity.0,
            ModerationAction::Kick,
        )
        .await
    }

    /// Mutes a participant's microphone tracks.
    #[oai(
        path = "/:roomId/mute/:identity",
        method = "post",
        operation_id = "muteParticipant"
    )]
    async fn mute(
        &self,
        caller: Caller,
        services: Data<&Arc<Services>>,
        req: &Request,
        /// Room UUID.
        #[oai(name = "roomId")]
        room: Path<String>,
        /// LiveKit identity (user id or `guest-xxxxxxxx`).
        identity: Path<String>,
    ) -> ApiResult<Json<ModerationResultDto>, ModerationErrors> {
        act(
            &caller,
            &services,
            req,
            &room.0,
            &identity.0,
            ModerationAction::Mute,
        )
        .await
    }

    /// Bans an identity from the room (persisted even if it never joined) and removes it.
    #[oai(
        path = "/:roomId/ban/:identity",
        method = "post",
        operation_id = "banParticipant"
    )]
    async fn ban(
        &self,
        caller: Caller,
        services: Data<&Arc<Services>>,
        req: &Request,
        /// Room UUID.
        #[oai(name = "roomId")]
        room: Path<String>,
        /// LiveKit identity (user id or `guest-xxxxxxxx`).
        identity: Path<String>,
    ) -> ApiResult<Json<ModerationResultDto>, BanErrors> {
        act(
            &caller,
            &services,
            req,
            &room.0,
            &identity.0,
            ModerationAction::Ban,
        )
        .await
    }

    /// Mutes a participant's camera tracks.
    #[oai(
        path = "/:roomId/video/:identity/off",
        method = "post",
        operation_id = "videoOffParticipant"
    )]
    async fn video_off(
        &self,
        caller: Caller,
        services: Data<&Arc<Services>>,
        req: &Request,
        /// Room UUID.
        #[oai(name = "roomId")]
        room: Path<String>,
        /// LiveKit identity (user id or `guest-xxxxxxxx`).
        identity: Path<String>,
    ) -> ApiResult<Json<ModerationResultDto>, ModerationErrors> {
        act(
            &caller,
            &services,
            req,
            &room.0,
            &identity.0,
            ModerationAction::VideoOff,
        )
        .await
    }

    /// Makes a participant a room moderator (superadmin or room admin only).
    #[oai(
        path = "/:roomId/promote/:identity",
        method = "post",
        operation_id = "promoteParticipant"
    )]
    async fn promote(
        &self,
        caller: Caller,
        services: Data<&Arc<Services>>,
        req: &Request,
        /// Room UUID.
        #[oai(name = "roomId")]
        room: Path<String>,
        /// LiveKit identity (user id or `guest-xxxxxxxx`).
        identity: Path<String>,
    ) -> ApiResult<Json<ModerationResultDto>, ModerationErrors> {
        act(
            &caller,
            &services,
            req,
            &room.0,
            &identity.0,
            ModerationAction::Promote,
        )
        .await
    }

    /// Takes a participant's room moderator role away (superadmin or room admin only).
    #[oai(
        path = "/:roomId/demote/:identity",
        method = "post",
        operation_id = "demoteParticipant"
    )]
    async fn demote(
        &self,
        caller: Caller,
        services: Data<&Arc<Services>>,
        req: &Request,
        /// Room UUID.
        #[oai(name = "roomId")]
        room: Path<String>,
        /// LiveKit identity (user id or `guest-xxxxxxxx`).
        identity: Path<String>,
    ) -> ApiResult<Json<ModerationResultDto>, ModerationErrors> {
        act(
            &caller,
            &services,
            req,
            &room.0,
            &identity.0,
            ModerationAction::Demote,
        )
        .await
    }

    /// Brings a participant on stage (may publish in webinar and broadcast rooms).
    #[oai(
        path = "/:roomId/stage/:identity/bring",
        method = "post",
        operation_id = "stageBring"
    )]
    async fn stage_bring(
        &self,
        caller: Caller,
        services: Data<&Arc<Services>>,
        req: &Request,
        /// Room UUID.
        #[oai(name = "roomId")]
        room: Path<String>,
        /// LiveKit identity (user id or `guest-xxxxxxxx`).
        identity: Path<String>,
    ) -> ApiResult<Json<ModerationResultDto>, ModerationErrors> {
        act(
            &caller,
            &services,
            req,
            &room.0,
            &identity.0,
            ModerationAction::StageBring,
        )
        .await
    }

    /// Takes a participant off stage.
    #[oai(
        path = "/:roomId/stage/:identity/remove",
        method = "post",
        operation_id = "stageRemove"
    )]
    async fn stage_remove(
        &self,
        caller: Caller,
        services: Data<&Arc<Services>>,
        req: &Request,
        /// Room UUID.
        #[oai(name = "roomId")]
        room: Path<String>,
        /// LiveKit identity (user id or `guest-xxxxxxxx`).
        identity: Path<String>,
    ) -> ApiResult<Json<ModerationResultDto>, ModerationErrors> {
        act(
            &caller,
            &services,
            req,
            &room.0,
            &identity.0,
            ModerationAction::StageRemove,
        )
        .await
    }
}
