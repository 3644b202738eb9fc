//! Exports (API.md §13): a user's own data, and a room with its members and
//! messages. The small parts are read at once; messages come page by page, so
//! the caller can stream them without holding a whole history in memory.

use serde::Serialize;

use crate::db::Db;
use crate::domain::{access, Actor, Context};
use crate::error::{ApiError, ApiResult};
use crate::store::exports::{self, ConversationEntry, ExportedMessage, Membership};
use crate::store::files::{self, FileObject};
use crate::store::members::{self, Member};
use crate::store::rooms::Room;
use crate::store::users::{self, User};

/// Messages read per page of an export.
pub const PAGE: u32 = 500;

/// Everything of a user's export but their messages.
#[derive(Serialize)]
pub struct UserExport {
    pub exported_at: String,
    pub user: User,
    pub rooms: Vec<Membership>,
    pub conversations: Vec<ConversationEntry>,
    pub files: Vec<FileObject>,
}

/// The caller's own profile, memberships, conversations and files, and the pages
/// of their messages.
pub async fn user(cx: &Context, actor: Actor) -> ApiResult<(UserExport, MessagePages)> {
    let id = actor.id;
    let export = cx
        .db
        .read(move |c| {
            Ok::<_, ApiError>(UserExport {
                exported_at: crate::time::now_rfc3339(),
                user: users::require(c, id)?,
                rooms: exports::memberships(c, id)?,
                conversations: exports::conversations(c, id)?,
                files: files::of_uploader(c, id)?,
            })
        })
        .await?;
    let pages = MessagePages {
        db: cx.db.clone(),
        of: Messages::ByAuthor {
            user_id: id,
            after: (String::new(), 0),
        },
    };
    Ok((export, pages))
}

/// Everything of a room's export but its messages.
#[derive(Serialize)]
pub struct RoomExport {
    pub exported_at: String,
    pub room: Room,
    pub members: Vec<Member>,
}

/// A room and its members, and the pages of its messages, for its owner and
/// admins; others are refused before anything is read (a room they may not see
/// is not found).
pub async fn room(
    cx: &Context,
    actor: Actor,
    room_id: i64,
) -> ApiResult<(RoomExport, MessagePages)> {
    cx.db
        .read(move |c| access::room(c, room_id, actor)?.require_owner())
        .await?;
    let room = crate::domain::rooms::get(cx, actor, room_id).await?;
    let members = cx
        .db
        .read(move |c| Ok::<_, ApiError>(members::list(c, room_id, None, u32::MAX, 0)?.0))
        .await?;
    let export = RoomExport {
        exported_at: crate::time::now_rfc3339(),
        room,
        members,
    };
    let pages = MessagePages {
        db: cx.db.clone(),
        of: Messages::OfRoom {
            room_id,
            after_id: 0,
        },
    };
    Ok((export, pages))
}

/// Pages of an export's messages, read one at a time as the answer is written;
/// it holds a database handle, not a connection, between pages.
pub struct MessagePages {
    db: Db,
    of: Messages,
}

enum Messages {
    /// By an author, in time order; the position is the last (time, id) read.
    ByAuthor { user_id: i64, after: (String, i64) },
    /// Of a room, in id order.
    OfRoom { room_id: i64, after_id: i64 },
}

impl MessagePages {
    /// The next page; empty when every message was read.
    pub async fn next(&mut self) -> ApiResult<Vec<ExportedMessage>> {
        match &mut self.of {
            Messages::ByAuthor { user_id, after } => {
                let (id, from) = (*user_id, after.clone());
                let page = self
                    .db
                    .read(move |c| exports::by_author(c, id, &from, PAGE))
                    .await?;
                if let Some(last) = page.last() {
                    *after = (last.created_at.clone(), last.id);
                }
                Ok(page)
            }
            Messages::OfRoom { room_id, after_id } => {
                let (id, from) = (*room_id, *after_id);
                let page = self
                    .db
                    .read(move |c| exports::of_room(c, id, from, PAGE))
                    .await?;
                if let Some(last) = page.last() {
                    *after_id = last.id;
                }
                Ok(page)
            }
        }
    }
}
