//! `/api/v1/streams`: announce, list, read, change, delete, start, stop, watch;
//! and `GET /api/streams`, the platform API's list.

use rocket::{delete, get, post, put, routes, Route, State};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::auth::guard::AuthUser;
use crate::domain::streams::{self, StreamRequest, StreamUpdate};
use crate::error::{ApiError, ApiResult};
use crate::http::body::{nullable, JsonBody};
use crate::http::client::ClientInfo;
use crate::http::pagination::{ListMeta, ListParams};
use crate::http::respond::{created, ok, NoContent, Success};
use crate::store::streams::Stream;

pub fn routes() -> Vec<Route> {
    routes![
        create,
        list,
        get_stream,
        update,
        delete_stream,
        start,
        stop,
        watch
    ]
}

/// `GET /api/streams`, the platform API's spelling.
pub fn alias_routes() -> Vec<Route> {
    routes![seed_list]
}

#[derive(Deserialize)]
pub struct CreateBody {
    title: String,
    description: Option<String>,
    playback_url: Option<String>,
    file_id: Option<i64>,
}

/// Announces a stream (not live yet), with its own public chat room.
#[post("/streams", data = "<body>")]
async fn create(
    body: JsonBody<CreateBody>,
    user: AuthUser,
    app: &State<App>,
    client: ClientInfo,
) -> ApiResult<Success<Stream>> {
    let body = body.0;
    let request = StreamRequest {
        title: body.title,
        description: body.description,
        playback_url: body.playback_url,
        file_id: body.file_id,
    };
    Ok(created(
        streams::create(&app.domain, user.actor(), client.ip, request).await?,
    ))
}

#[derive(Serialize)]
struct StreamList {
    streams: Vec<Stream>,
    #[serde(flatten)]
    meta: ListMeta,
}

fn live_filter(live: Option<&str>) -> ApiResult<Option<bool>> {
    match live.map(str::trim) {
        None | Some("") => Ok(None),
        Some("true" | "1") => Ok(Some(true)),
        Some("false" | "0") => Ok(Some(false)),
        Some(_) => Err(ApiError::validation("live", "must be true or false")),
    }
}

/// A page of streams (20 by default, as the platform API pages) and its meta.
async fn page(
    app: &App,
    user: AuthUser,
    live: Option<&str>,
    list: ListParams,
) -> ApiResult<(Vec<Stream>, ListMeta)> {
    let window = list.window_with_default(20)?;
    let live = live_filter(live)?;
    let (streams, total) =
        streams::list(&app.domain, user.actor(), live, window.limit, window.offset).await?;
    let meta = ListMeta::new(window, streams.len(), total);
    Ok((streams, meta))
}

/// Streams, live ones first, then newest; `live=true|false` filters.
#[get("/streams?<live>&<list..>")]
async fn list(
    live: Option<String>,
    list: ListParams,
    user: AuthUser,
    app: &State<App>,
) -> ApiResult<Success<StreamList>> {
    let (streams, meta) = page(app, user, live.as_deref(), list).await?;
    Ok(ok(StreamList { streams, meta }))
}

#[derive(Serialize)]
struct SeedStreamList {
    streams: Vec<serde_json::Value>,
    #[serde(flatten)]
    meta: ListMeta,
}

/// `GET /api/streams`: the list in the platform API's shape, where a stream's
/// `id` is its uuid (`stream_id` keeps the number).
#[get("/streams?<live>&<list..>")]
async fn seed_list(
    live: Option<String>,
    list: ListParams,
    user: AuthUser,
    app: &State<App>,
) -> ApiResult<Success<SeedStreamList>> {
    let (streams, meta) = page(app, user, live.as_deref(), list).await?;
    let streams = streams
        .into_iter()
        .map(|stream| {
            let mut value = serde_json::to_value(&stream).unwrap_or_default();
            value["stream_id"] = value["id"].clone();
            value["id"] = serde_json::Value::String(stream.uuid);
            value
        })
        .collect();
    Ok(ok(SeedStreamList { streams, meta }))
}

#[get("/streams/<id>")]
async fn get_stream(id: i64, user: AuthUser, app: &State<App>) -> ApiResult<Success<Stream>> {
    Ok(ok(streams::get(&app.domain, user.actor(), id).await?))
}

#[derive(Deserialize)]
pub struct UpdateBody {
    title: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    playback_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    file_id: Option<Option<i64>>,
}

/// Changes a stream: its owner or an admin.
#[put("/streams/<id>", data = "<body>")]
async fn update(
    id: i64,
    body: JsonBody<UpdateBody>,
    user: AuthUser,
    app: &State<App>,
) -> ApiResult<Success<Stream>> {
    let body = body.0;
    let update = StreamUpdate {
        title: body.title,
        description: body.description,
        playback_url: body.playback_url,
        file_id: body.file_id,
    };
    Ok(ok(
        streams::update(&app.domain, user.actor(), id, update).await?
    ))
}

/// Deletes a stream and its room: its owner or an admin.
#[delete("/streams/<id>")]
async fn delete_stream(
    id: i64,
    user: AuthUser,
    app: &State<App>,
    client: ClientInfo,
) -> ApiResult<NoContent> {
    streams::delete(&app.domain, user.actor(), client.ip, id).await?;
    Ok(NoContent)
}

/// Goes live (the owner); 409 if it already is.
#[post("/streams/<id>/start")]
async fn start(id: i64, user: AuthUser, app: &State<App>) -> ApiResult<Success<Stream>> {
    Ok(ok(
        streams::set_live(&app.domain, user.actor(), id, true).await?
    ))
}

/// Stops (the owner or an admin); 409 if it is not live.
#[post("/streams/<id>/stop")]
async fn stop(id: i64, user: AuthUser, app: &State<App>) -> ApiResult<Success<Stream>> {
    Ok(ok(
        streams::set_live(&app.domain, user.actor(), id, false).await?
    ))
}

#[derive(Serialize)]
struct Watching {
    viewer_count: usize,
}

/// A viewer's heartbeat (send one every 30 s or so while watching).
#[post("/streams/<id>/watch")]
async fn watch(id: i64, user: AuthUser, app: &State<App>) -> ApiResult<Success<Watching>> {
    let viewer_count = streams::watch(&app.domain, user.actor(), id).await?;
    Ok(ok(Watching { viewer_count }))
}
