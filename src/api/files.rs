//! `/api/v1/files`: upload, metadata, download, thumbnail, delete; and a room's
//! files.

use rocket::data::Data;
use rocket::{delete, get, post, routes, Route, State};
use serde::Serialize;

use crate::app::App;
use crate::auth::guard::AuthUser;
use crate::domain::files::{self, Upload};
use crate::error::{ApiError, ApiResult, Missing};
use crate::files::{encode, names, sniff};
use crate::http::download::{Download, DownloadRequest, Served};
use crate::http::pagination::{ListMeta, ListParams};
use crate::http::respond::{created, ok, NoContent, Success};
use crate::http::upload::{read_form, UploadHead, UploadLimits};
use crate::store::files::FileObject;
use crate::store::messages::Container;

pub fn routes() -> Vec<Route> {
    routes![
        upload,
        metadata,
        download,
        thumbnail,
        delete_file,
        room_files
    ]
}

/// Uploads a file (multipart: `file`, optional `room_id` or `conversation_id`,
/// optional `description`), streamed to disk; 201 with the file.
#[post("/files/upload", data = "<data>")]
async fn upload(
    user: AuthUser,
    head: UploadHead,
    data: Data<'_>,
    app: &State<App>,
) -> ApiResult<Success<FileObject>> {
    let actor = user.actor();
    let limits = UploadLimits {
        store: &app.domain.files,
        max_bytes: app.config.limits.upload_max_bytes,
    };
    let form = read_form(head, data, limits, |room_id, conversation_id| async move {
        match container(room_id, conversation_id) {
            Some(place) => files::check_can_upload(&app.domain, actor, place).await,
            None => Ok(()),
        }
    })
    .await?;
    let upload = Upload {
        container: container(form.room_id, form.conversation_id),
        staged: form.staged,
        client_name: form.file_name,
        description: form.description,
    };
    Ok(created(files::upload(&app.domain, actor, upload).await?))
}

fn container(room_id: Option<i64>, conversation_id: Option<i64>) -> Option<Container> {
    room_id
        .map(Container::Room)
        .or(conversation_id.map(Container::Conversation))
}

/// A file's metadata.
#[get("/files/<id>")]
async fn metadata(id: i64, user: AuthUser, app: &State<App>) -> ApiResult<Success<FileObject>> {
    Ok(ok(files::get(&app.domain, user.actor(), id).await?))
}

/// A file's bytes, with ranges and revalidation. Images that cannot run script are
/// shown inline; everything else downloads.
#[get("/files/<id>/download")]
async fn download(
    id: i64,
    user: AuthUser,
    request: DownloadRequest,
    app: &State<App>,
) -> ApiResult<Download> {
    let file = files::get(&app.domain, user.actor(), id).await?;
    let inline = sniff::is_inline_safe(&file.mime_type);
    let served = Served {
        path: app.domain.files.bytes_path(&file.uuid),
        size: u64::try_from(file.size).unwrap_or(0),
        content_type: sniff::served_type(&file.mime_type).to_owned(),
        disposition: names::content_disposition(inline, &file.filename),
        tag: file.sha256,
    };
    Download::open(served, &request).await
}

/// A file's thumbnail (WebP, PNG or JPEG, at most 320 px a side); 404 until it
/// is made.
#[get("/files/<id>/thumbnail")]
async fn thumbnail(
    id: i64,
    user: AuthUser,
    request: DownloadRequest,
    app: &State<App>,
) -> ApiResult<Download> {
    let file = files::get(&app.domain, user.actor(), id).await?;
    if file.thumbnail_status != "ready" {
        return Err(ApiError::NotFoundBecause(
            "this file has no thumbnail (yet)",
        ));
    }
    let path = app.domain.files.thumbnail_path(&file.uuid);
    let size = tokio::fs::metadata(&path)
        .await
        .map_err(|_| ApiError::NotFound(Missing::File))?
        .len();
    // The thumbnail's format is whichever encoding was smallest: read it back.
    let mut head = [0u8; 16];
    {
        use tokio::io::AsyncReadExt;
        let mut opened = tokio::fs::File::open(&path)
            .await
            .map_err(|_| ApiError::NotFound(Missing::File))?;
        let _ = opened.read(&mut head).await;
    }
    let format = encode::format_of(&head).unwrap_or(image::ImageFormat::Png);
    let extension = format.extensions_str().first().copied().unwrap_or("png");
    let served = Served {
        path,
        size,
        content_type: encode::content_type(format).into(),
        disposition: names::content_disposition(true, &format!("{}.{extension}", file.filename)),
        tag: format!("{}-thumbnail", file.sha256),
    };
    Download::open(served, &request).await
}

/// Deletes a file and its bytes: the uploader, a room's moderators and owner, admins.
#[delete("/files/<id>")]
async fn delete_file(id: i64, user: AuthUser, app: &State<App>) -> ApiResult<NoContent> {
    files::delete(&app.domain, user.actor(), id).await?;
    Ok(NoContent)
}

#[derive(Serialize)]
struct FileList {
    files: Vec<FileObject>,
    #[serde(flatten)]
    meta: ListMeta,
}

/// A room's files, newest first, paged.
#[get("/rooms/<id>/files?<list..>")]
async fn room_files(
    id: i64,
    list: ListParams,
    user: AuthUser,
    app: &State<App>,
) -> ApiResult<Success<FileList>> {
    let window = list.window()?;
    let (files, total) =
        files::of_room(&app.domain, user.actor(), id, window.limit, window.offset).await?;
    let meta = ListMeta::new(window, files.len(), total);
    Ok(ok(FileList { files, meta }))
}
