//! Streams: live sessions (a music set, a talk) that a user announces, starts and
//! stops, that others find, watch (a heartbeat) and chat in, in the stream's own
//! public room, created with it and deleted with it.

use std::sync::Arc;

use crate::domain::rooms::namer;
use crate::domain::Actor;
use crate::domain::Context;
use crate::error::{ApiError, ApiResult};
use crate::event::{Event, Work};
use crate::sql::Connection;
use crate::store::rooms::{self, NewRoom};
use crate::store::streams::{self, Changes, NewStream, Stream, Viewer};
use crate::store::{files, members};
use crate::validate;

pub const TITLE_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 1000;
const URL_MAX: usize = 2048;

/// A stream as the client asked for it.
pub struct StreamRequest {
    pub title: String,
    pub description: Option<String>,
    pub playback_url: Option<String>,
    pub file_id: Option<i64>,
}

fn title(value: &str) -> ApiResult<String> {
    validate::label("title", Some(value), TITLE_MAX)?
        .ok_or_else(|| ApiError::length("title", 1, TITLE_MAX, 0))
}

fn description(value: Option<&str>) -> ApiResult<Option<String>> {
    validate::label("description", value, DESCRIPTION_MAX)
}

/// Where the stream plays: an http(s) URL served elsewhere (clients fetch it, not
/// Veza).
fn playback_url(value: &str) -> ApiResult<String> {
    let value = value.trim();
    if value.len() > URL_MAX {
        return Err(ApiError::length("playback_url", 1, URL_MAX, value.len()));
    }
    match url::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Ok(url.to_string())
        }
        _ => Err(ApiError::validation(
            "playback_url",
            "must be an http or https URL",
        )),
    }
}

/// A file a stream may play: an audio file its owner uploaded.
fn check_file(c: &Connection, file_id: i64, owner_id: i64) -> ApiResult<()> {
    match files::get(c, file_id) {
        Ok(file) if file.uploader_id == owner_id && file.mime_type.starts_with("audio/") => Ok(()),
        _ => Err(ApiError::validation(
            "file_id",
            "must be an audio file you uploaded",
        )),
    }
}

/// The name of a stream's room: its title and a short tag of its own, so two
/// streams of the same title get two rooms.
fn room_name(title: &str, uuid: &str) -> String {
    let tag = format!(" · stream {}", &uuid[..8]);
    let room = validate::ROOM_NAME_MAX - tag.chars().count();
    let mut name: String = title.chars().take(room).collect();
    name.push_str(&tag);
    name
}

async fn with_viewers(cx: &Context, mut stream: Stream) -> Stream {
    stream.viewer_count = if stream.is_live {
        cx.viewers.count(stream.id).await
    } else {
        0
    };
    stream
}

/// A stream `actor` may see (see [`Viewer`]); any other is not found.
pub async fn get(cx: &Context, actor: Actor, stream_id: i64) -> ApiResult<Stream> {
    let viewer = viewer(actor);
    let stream = cx
        .db
        .read(move |c| streams::get(c, stream_id, viewer))
        .await?;
    Ok(with_viewers(cx, stream).await)
}

fn viewer(actor: Actor) -> Viewer {
    Viewer::User {
        id: actor.id,
        is_admin: actor.is_admin,
    }
}

/// Announces a stream (not live yet), with its chat room.
pub async fn create(
    cx: &Context,
    actor: Actor,
    ip: Option<String>,
    request: StreamRequest,
) -> ApiResult<Stream> {
    let title = title(&request.title)?;
    let description = description(request.description.as_deref())?;
    if request.playback_url.is_some() && request.file_id.is_some() {
        return Err(ApiError::validation(
            "playback_url",
            "give a playback_url or a file_id, not both",
        ));
    }
    let playback_url = request
        .playback_url
        .as_deref()
        .map(playback_url)
        .transpose()?;
    let file_id = request.file_id;
    let uuid = uuid::Uuid::new_v4().to_string();
    let id = cx
        .journal
        .write(ip, move |c, events| {
            if let Some(file_id) = file_id {
                check_file(c, file_id, actor.id)?;
            }
            let room = NewRoom {
                name: room_name(&title, &uuid),
                description: Some(format!("Chat of the stream “{title}”")),
                is_public: true,
                max_members: None,
            };
            let room_id = rooms::create(c, namer(actor), &room)?;
            events.push(Event::RoomCreated {
                room_id,
                actor_id: actor.id,
            });
            Ok(streams::insert(
                c,
                &NewStream {
                    uuid,
                    title,
                    description,
                    owner_id: actor.id,
                    room_id,
                    playback_url,
                    file_id,
                },
            )?)
        })
        .await?;
    get(cx, actor, id).await
}

/// The streams `actor` may see, live ones first, then newest.
pub async fn list(
    cx: &Context,
    actor: Actor,
    live: Option<bool>,
    limit: u32,
    offset: u64,
) -> ApiResult<(Vec<Stream>, u64)> {
    let viewer = viewer(actor);
    let (list, total) = cx
        .db
        .read(move |c| streams::list(c, viewer, live, limit, offset))
        .await?;
    let mut counted = Vec::with_capacity(list.len());
    for stream in list {
        counted.push(with_viewers(cx, stream).await);
    }
    Ok((counted, total))
}

/// The owner, or an admin where `admins` may.
fn require_owner(stream: &Stream, actor: Actor, admins: bool) -> ApiResult<()> {
    if stream.owner.id == actor.id || (admins && actor.is_admin) {
        Ok(())
    } else {
        Err(ApiError::PermissionDenied(
            "only the stream's owner may do this",
        ))
    }
}

/// What may change of a stream.
pub struct StreamUpdate {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub playback_url: Option<Option<String>>,
    pub file_id: Option<Option<i64>>,
}

/// Changes a stream: its owner or an admin.
pub async fn update(
    cx: &Context,
    actor: Actor,
    id: i64,
    update: StreamUpdate,
) -> ApiResult<Stream> {
    if matches!(
        (&update.playback_url, &update.file_id),
        (Some(Some(_)), Some(Some(_)))
    ) {
        return Err(ApiError::validation(
            "playback_url",
            "give a playback_url or a file_id, not both",
        ));
    }
    let changes = Changes {
        title: update.title.as_deref().map(title).transpose()?,
        description: update
            .description
            .map(|d| description(d.as_deref()))
            .transpose()?,
        playback_url: update
            .playback_url
            .map(|u| u.as_deref().map(playback_url).transpose())
            .transpose()?,
        file_id: update.file_id,
    };
    cx.journal
        .apply(move |c| {
            let stream = streams::get(c, id, viewer(actor))?;
            require_owner(&stream, actor, true)?;
            if let Some(Some(file_id)) = changes.file_id {
                check_file(c, file_id, stream.owner.id)?;
            }
            Ok(streams::update(c, id, &changes)?)
        })
        .await?;
    get(cx, actor, id).await
}

/// Deletes a stream with its room (and the room's messages): owner or admin.
pub async fn delete(cx: &Context, actor: Actor, ip: Option<String>, id: i64) -> ApiResult<()> {
    cx.journal
        .write(ip, move |c, events| {
            let stream = streams::get(c, id, viewer(actor))?;
            require_owner(&stream, actor, true)?;
            let member_ids = members::user_ids(c, stream.room_id)?;
            if stream.is_live {
                streams::set_live(c, id, false)?;
                let mut ended = streams::get(c, id, Viewer::Everything)?;
                ended.viewer_count = 0;
                events.push(live_event(c, ended, false)?);
            }
            // The stream goes with its room.
            rooms::delete(c, stream.room_id)?;
            events.push(Event::RoomDeleted {
                room_id: stream.room_id,
                actor_id: actor.id,
                member_ids,
            });
            events.push(Event::Queued(Work::FileRemovals));
            Ok(())
        })
        .await?;
    cx.viewers.forget(id).await;
    Ok(())
}

fn live_event(c: &Connection, stream: Stream, live: bool) -> ApiResult<Event> {
    let value = serde_json::to_value(&stream)
        .map_err(|e| ApiError::internal(format!("stream object: {e}")))?;
    Ok(Event::StreamLive {
        stream_id: stream.id,
        room_id: stream.room_id,
        live,
        public_room: rooms::is_public(c, stream.room_id)?,
        stream: Arc::new(value),
    })
}

/// Goes live (the owner) or stops (the owner or an admin); 409 when it already is.
pub async fn set_live(cx: &Context, actor: Actor, id: i64, live: bool) -> ApiResult<Stream> {
    cx.journal
        .write(None, move |c, events| {
            let stream = streams::get(c, id, viewer(actor))?;
            require_owner(&stream, actor, !live)?;
            if !streams::set_live(c, id, live)? {
                return Err(ApiError::StateConflict(if live {
                    "the stream is already live"
                } else {
                    "the stream is not live"
                }));
            }
            events.push(live_event(
                c,
                streams::get(c, id, Viewer::Everything)?,
                live,
            )?);
            Ok(())
        })
        .await?;
    if !live {
        cx.viewers.forget(id).await;
    }
    get(cx, actor, id).await
}

/// A viewer's heartbeat on a live stream; the viewer count after it.
pub async fn watch(cx: &Context, actor: Actor, id: i64) -> ApiResult<usize> {
    let viewer = viewer(actor);
    let stream = cx.db.read(move |c| streams::get(c, id, viewer)).await?;
    if !stream.is_live {
        return Err(ApiError::StateConflict("the stream is not live"));
    }
    Ok(cx.viewers.watch(id, actor.id).await?)
}
