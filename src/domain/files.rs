//! Files: uploads into a room, a conversation or nowhere yet (then attached to a
//! message), reading, downloading and deleting them. Who may see a file is who may
//! read where it belongs, and its uploader; to anyone else it does not exist.

use crate::domain::{access, Actor, Context};
use crate::error::{ApiError, ApiResult};
use crate::event::{Event, Work};
use crate::files::{names, sniff, Staged};
use crate::policy::{self, Access};
use crate::sql::Connection;
use crate::store::files::{self, FileObject, NewFile};
use crate::store::messages::Container;
use crate::tasks::janitor;
use crate::validate;

/// Longest file description, in characters.
pub const DESCRIPTION_MAX: usize = 500;

/// An upload whose bytes are staged, with what the form said about it.
pub struct Upload {
    pub staged: Staged,
    /// The name the client gave (metadata only).
    pub client_name: Option<String>,
    pub container: Option<Container>,
    pub description: Option<String>,
}

/// Whether `actor` may upload into `container`: checked before the bytes are
/// received when the form names the place first, and again when the file is
/// recorded.
pub async fn check_can_upload(cx: &Context, actor: Actor, container: Container) -> ApiResult<()> {
    cx.db
        .read(move |c| access::container(c, container, actor)?.require_can_write())
        .await
}

/// Records a staged upload: its type sniffed from its bytes, its bytes moved into
/// place, its row written (with its thumbnail job) once the rules allow it.
pub async fn upload(cx: &Context, actor: Actor, upload: Upload) -> ApiResult<FileObject> {
    let description = validate::label(
        "description",
        upload.description.as_deref(),
        DESCRIPTION_MAX,
    )?;
    let (filename, original_filename) = names::from_client(upload.client_name.as_deref());
    let staged = upload.staged;
    let mime_type = sniff::mime_type(&staged.head);
    let new = NewFile {
        uuid: staged.uuid.clone(),
        uploader_id: actor.id,
        container: upload.container,
        filename,
        original_filename,
        description,
        size: staged.size,
        thumbnail: sniff::has_thumbnail(&mime_type),
        mime_type,
        sha256: staged.sha256.clone(),
    };
    let uuid = new.uuid.clone();
    staged
        .publish(&cx.files)
        .await
        .map_err(|e| ApiError::io("cannot store an upload", &e))?;
    let recorded = cx
        .journal
        .write(None, move |c, events| {
            if let Some(place) = new.container {
                access::container(c, place, actor)?.require_can_write()?;
            }
            if new.thumbnail {
                events.push(Event::Queued(Work::Thumbnails));
            }
            Ok(files::insert(c, &new)?)
        })
        .await;
    let id = match recorded {
        Ok(id) => id,
        Err(e) => {
            let store = cx.files.clone();
            let _ = tokio::task::spawn_blocking(move || store.remove(&uuid)).await;
            return Err(e);
        }
    };
    Ok(cx.db.read(move |c| files::get(c, id)).await?)
}

/// A file `actor` may see, and what they are to where it belongs.
fn visible(c: &Connection, file_id: i64, actor: Actor) -> ApiResult<(FileObject, Option<Access>)> {
    let file = files::get(c, file_id)?;
    let access = match file.container() {
        Some(place) => match access::container(c, place, actor) {
            Ok(access) => Some(access),
            Err(ApiError::NotFound(_)) => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    let streamed = file.container().is_none() && crate::store::streams::plays_file(c, file_id)?;
    policy::require_can_read_file(actor.id, file.uploader_id, access.as_ref(), streamed)?;
    Ok((file, access))
}

/// A file's metadata (also what a download serves).
pub async fn get(cx: &Context, actor: Actor, file_id: i64) -> ApiResult<FileObject> {
    cx.db
        .read(move |c| visible(c, file_id, actor).map(|(file, _)| file))
        .await
}

/// Deletes a file: its uploader, a room's moderators and owner, admins. Its bytes
/// are gone from the disk when this returns.
pub async fn delete(cx: &Context, actor: Actor, file_id: i64) -> ApiResult<()> {
    cx.journal
        .apply(move |c| {
            let (file, access) = visible(c, file_id, actor)?;
            policy::require_can_delete_file(actor.id, file.uploader_id, access.as_ref())?;
            Ok(files::delete(c, file_id)?)
        })
        .await?;
    if let Err(e) = janitor::purge(&cx.journal, &cx.files).await {
        // Still queued: the background pass retries.
        log::warn!("file {file_id} deleted, its bytes not yet: {e:?}");
        cx.files.removals_queued.notify_one();
    }
    Ok(())
}

/// A room's files, newest first, and how many it holds: for whoever may read it.
pub async fn of_room(
    cx: &Context,
    actor: Actor,
    room_id: i64,
    limit: u32,
    offset: u64,
) -> ApiResult<(Vec<FileObject>, u64)> {
    cx.db
        .read(move |c| -> ApiResult<_> {
            access::room(c, room_id, actor)?;
            Ok(files::of_room(c, room_id, limit, offset)?)
        })
        .await
}
