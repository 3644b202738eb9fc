//! Applies an import's batches (API §21): users matched by e-mail or made
//! deactivated, rooms with their members, direct conversations, messages with
//! their original times, threads, reactions, pins and files. Each batch is one
//! transaction through the writer, with no events: history is not news (no
//! webhook fires, no push, no frame). The map of source ids makes a rerun add
//! nothing twice.

use std::collections::HashMap;

use base64::Engine;

use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::files::{sniff, FileStore, Staging};
use crate::import::markup;
use crate::import::model::{Batch, Counts, Message};
use crate::journal::Journal;
use crate::policy::RoomRole;
use crate::sql::Connection;
use crate::store::files::NewFile;
use crate::store::messages::Container;
use crate::store::new_messages::{self, NewMessage};
use crate::store::rooms::{Namer, NewRoom};
use crate::store::{conversations, files, imports, members, reactions, rooms, users};
use crate::{mentions, validate};

/// Where an import writes: the database, through the one writer, and the files.
pub struct Target<'a> {
    pub db: &'a Db,
    pub journal: &'a Journal,
    pub files: &'a FileStore,
    /// Larger files are skipped (as uploads would be refused).
    pub max_file_bytes: u64,
}

/// A file written to the store, waiting for its row.
struct StoredFile {
    message: String,
    uuid: String,
    name: String,
    size: u64,
    sha256: String,
    mime: String,
}

pub async fn apply(target: &Target<'_>, batch: Batch) -> ApiResult<Counts> {
    let mut counts = Counts::default();
    let stored = store_files(target, &batch, &mut counts).await?;
    let more = target
        .journal
        .apply(move |c| write(c, &batch, stored))
        .await?;
    if more.files > 0 {
        // A running server makes their thumbnails now, not at its next poll.
        target.files.thumbnails_queued.notify_one();
    }
    counts.add(more);
    Ok(counts)
}

/// The bytes of the batch's files, on disk before the write (disk work stays
/// off the writer), for messages not imported yet.
async fn store_files(
    target: &Target<'_>,
    batch: &Batch,
    counts: &mut Counts,
) -> ApiResult<Vec<StoredFile>> {
    let mut stored = Vec::new();
    for message in batch.messages.iter().filter(|m| !m.files.is_empty()) {
        let (source, id) = (batch.source.clone(), message.id.clone());
        if target
            .db
            .read(move |c| imports::mapped(c, &source, "message", &id))
            .await?
            .is_some()
        {
            continue;
        }
        for file in &message.files {
            let bytes = match base64::engine::general_purpose::STANDARD.decode(&file.data_base64) {
                Ok(bytes) => bytes,
                Err(e) => {
                    counts.skipped.push(format!(
                        "{}: file {}: not base64: {e}",
                        message.origin, file.name
                    ));
                    continue;
                }
            };
            if bytes.len() as u64 > target.max_file_bytes {
                counts.skipped.push(format!(
                    "{}: file {}: {} bytes, over the upload limit",
                    message.origin,
                    file.name,
                    bytes.len()
                ));
                continue;
            }
            let mut staging = Staging::start(target.files, target.max_file_bytes)
                .await
                .map_err(|e| ApiError::io("cannot stage an imported file", &e))?;
            staging
                .push(&bytes)
                .await
                .map_err(|_| ApiError::internal("cannot stage an imported file"))?;
            let staged = staging
                .finish()
                .await
                .map_err(|e| ApiError::io("cannot stage an imported file", &e))?;
            let mime = sniff::mime_type(&staged.head);
            let record = StoredFile {
                message: message.id.clone(),
                uuid: staged.uuid.clone(),
                name: file.name.clone(),
                size: staged.size,
                sha256: staged.sha256.clone(),
                mime,
            };
            staged
                .publish(target.files)
                .await
                .map_err(|e| ApiError::io("cannot store an imported file", &e))?;
            stored.push(record);
        }
    }
    Ok(stored)
}

/// A free name from `wanted`: itself, or with `-2`, `-3`… after it.
fn free_name(
    wanted: &str,
    max: usize,
    taken: &dyn Fn(&str) -> Result<bool, ApiError>,
) -> ApiResult<String> {
    let base: String = wanted.chars().take(max.saturating_sub(4)).collect();
    if !taken(wanted)? {
        return Ok(wanted.to_owned());
    }
    for n in 2..10_000 {
        let candidate = format!("{base}-{n}");
        if !taken(&candidate)? {
            return Ok(candidate);
        }
    }
    Err(ApiError::internal(format!("no free name for {wanted}")))
}

/// A username Veza accepts from a source's: its allowed characters, at least 3.
fn username_from(source: &str) -> String {
    let mut name: String = source
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        .take(28)
        .collect();
    while name.len() < 3 {
        name.push('_');
    }
    name
}

fn write(c: &Connection, batch: &Batch, stored: Vec<StoredFile>) -> ApiResult<Counts> {
    let source = batch.source.as_str();
    let mut counts = Counts::default();
    for user in &batch.users {
        if imports::mapped(c, source, "user", &user.id)?.is_some() {
            counts.already_there += 1;
            continue;
        }
        let email = user.email.as_deref().and_then(|e| validate::email(e).ok());
        if let Some(id) = email
            .as_deref()
            .map(|e| imports::user_by_email(c, e))
            .transpose()?
            .flatten()
        {
            imports::map(c, source, "user", &user.id, id)?;
            counts.users_matched += 1;
            continue;
        }
        let username = free_name(
            &username_from(&user.username),
            validate::USERNAME_MAX,
            &|n| Ok(imports::username_taken(c, n)?),
        )?;
        let email = match email {
            Some(email) if imports::user_by_email(c, &email)?.is_none() => email,
            _ => format!("{}@{source}.import.invalid", username.to_lowercase()),
        };
        let first = user
            .first_name
            .as_deref()
            .map(|s| s.chars().take(validate::NAME_MAX).collect::<String>());
        let last = user
            .last_name
            .as_deref()
            .map(|s| s.chars().take(validate::NAME_MAX).collect::<String>());
        let id = imports::insert_user(c, &username, &email, first.as_deref(), last.as_deref())?;
        imports::map(c, source, "user", &user.id, id)?;
        counts.users_created += 1;
    }
    let user_id = |id: &str| imports::mapped(c, source, "user", id);
    for room in &batch.rooms {
        if imports::mapped(c, source, "room", &room.id)?.is_some() {
            counts.already_there += 1;
            continue;
        }
        let mut member_ids = Vec::new();
        for m in &room.members {
            if let Some(id) = user_id(&m.user)? {
                let role = match m.role.as_str() {
                    "owner" => RoomRole::Owner,
                    "moderator" => RoomRole::Moderator,
                    _ => RoomRole::Member,
                };
                member_ids.push((id, role));
            }
        }
        let owner = member_ids
            .iter()
            .find(|(_, r)| *r == RoomRole::Owner)
            .or(member_ids.first())
            .map(|(id, _)| *id);
        let Some(owner) = owner else {
            counts
                .skipped
                .push(format!("room {}: nobody of the export is in it", room.name));
            continue;
        };
        let wanted: String = room
            .name
            .trim()
            .chars()
            .take(validate::ROOM_NAME_MAX)
            .collect();
        let wanted = if wanted.is_empty() {
            "imported".to_owned()
        } else {
            wanted
        };
        let name = free_name(&wanted, validate::ROOM_NAME_MAX, &|n| {
            Ok(imports::room_name_taken(c, n)?)
        })?;
        let description = room
            .description
            .as_deref()
            .map(|d| {
                d.chars()
                    .take(validate::ROOM_DESCRIPTION_MAX)
                    .collect::<String>()
            })
            .filter(|d| !d.trim().is_empty());
        let room_id = rooms::create(
            c,
            Namer {
                user_id: owner,
                is_admin: true,
            },
            &NewRoom {
                name,
                description,
                is_public: !room.private,
                max_members: None,
            },
        )?;
        for (id, role) in member_ids {
            if id == owner {
                continue;
            }
            let role = if role == RoomRole::Owner {
                RoomRole::Moderator
            } else {
                role
            };
            members::insert(c, room_id, id, role)?;
        }
        imports::map(c, source, "room", &room.id, room_id)?;
        counts.rooms += 1;
    }
    for conv in &batch.conversations {
        if imports::mapped(c, source, "conversation", &conv.id)?.is_some() {
            counts.already_there += 1;
            continue;
        }
        let (Some(a), Some(b)) = (user_id(&conv.members[0])?, user_id(&conv.members[1])?) else {
            counts.skipped.push(format!(
                "conversation {}: its people are not in the export",
                conv.id
            ));
            continue;
        };
        if a == b {
            counts
                .skipped
                .push(format!("conversation {}: with oneself", conv.id));
            continue;
        }
        let (id, _) = conversations::open(c, a, b)?;
        imports::map(c, source, "conversation", &conv.id, id)?;
        counts.conversations += 1;
    }
    let mut files_of: HashMap<String, Vec<StoredFile>> = HashMap::new();
    for file in stored {
        files_of.entry(file.message.clone()).or_default().push(file);
    }
    let mut touched: Vec<Container> = Vec::new();
    for message in &batch.messages {
        let files = files_of.remove(&message.id).unwrap_or_default();
        match write_message(c, source, message, files, &mut counts)? {
            Some(place) if !touched.contains(&place) => touched.push(place),
            _ => {}
        }
    }
    for place in touched {
        match place {
            Container::Room(id) => imports::mark_room_read(c, id)?,
            Container::Conversation(id) => imports::mark_conversation_read(c, id)?,
        }
    }
    Ok(counts)
}

/// One message; its place when written.
fn write_message(
    c: &Connection,
    source: &str,
    m: &Message,
    files: Vec<StoredFile>,
    counts: &mut Counts,
) -> ApiResult<Option<Container>> {
    if imports::mapped(c, source, "message", &m.id)?.is_some() {
        counts.already_there += 1;
        return Ok(None);
    }
    let place = match (&m.room, &m.conversation) {
        (Some(room), _) => imports::mapped(c, source, "room", room)?.map(Container::Room),
        (None, Some(conv)) => {
            imports::mapped(c, source, "conversation", conv)?.map(Container::Conversation)
        }
        (None, None) => None,
    };
    let Some(place) = place else {
        counts.skipped.push(format!(
            "{}: its room or conversation was not imported",
            m.origin
        ));
        return Ok(None);
    };
    let Some(author) = imports::mapped(c, source, "user", &m.user)? else {
        counts.skipped.push(format!(
            "{}: its author {} is not in the export",
            m.origin, m.user
        ));
        return Ok(None);
    };
    let Some(created_at) = crate::time::parse_client(&m.created_at) else {
        counts
            .skipped
            .push(format!("{}: no valid time ({})", m.origin, m.created_at));
        return Ok(None);
    };
    let edited_at = m.edited_at.as_deref().and_then(crate::time::parse_client);
    let user_name = |id: &str| -> Option<String> {
        let veza = imports::mapped(c, source, "user", id).ok()??;
        users::username_of(c, veza).ok()?
    };
    let room_name = |id: &str| -> Option<String> {
        let veza = imports::mapped(c, source, "room", id).ok()??;
        c.query_row("SELECT name FROM rooms WHERE id = ?1", [veza], |r| r.get(0))
            .ok()
    };
    let mut content = match m.format.as_str() {
        "slack" => markup::slack_to_markdown(&m.text, &user_name, &room_name),
        _ => m.text.clone(),
    };
    if content.trim().is_empty() {
        content = files
            .iter()
            .map(|f| f.name.clone())
            .collect::<Vec<_>>()
            .join(", ");
    }
    if content.trim().is_empty() {
        counts
            .skipped
            .push(format!("{}: no text and no file", m.origin));
        return Ok(None);
    }
    let parent = match &m.parent {
        Some(p) => match imports::mapped(c, source, "message", p)? {
            Some(id) => Some(id),
            None => {
                counts.skipped.push(format!(
                    "{}: its thread's first message is missing: imported on its own",
                    m.origin
                ));
                None
            }
        },
        None => None,
    };
    let author_name = users::username_of(c, author)?.unwrap_or_default();
    let names = mentions::usernames(&content);
    let new = NewMessage {
        container: place,
        author_id: author,
        author_name,
        author_avatar: None,
        author_kind: "user",
        mentioned_names: Vec::new(),
        content,
        parent_message_id: parent,
        metadata: None,
        idempotency_key: None,
    };
    let id = new_messages::insert(c, new)?.id;
    imports::add_mentions(c, id, &names)?;
    imports::set_message_times(c, id, &created_at, edited_at.as_deref(), m.pinned)?;
    counts.messages += 1;
    if parent.is_some() {
        counts.replies += 1;
    }
    if m.pinned {
        counts.pins += 1;
    }
    for reaction in &m.reactions {
        let emoji = emoji_of(&reaction.emoji);
        for user in &reaction.users {
            if let Some(uid) = imports::mapped(c, source, "user", user)? {
                match reactions::add(c, id, uid, &emoji) {
                    Ok(_) => counts.reactions += 1,
                    Err(crate::db::StoreError::Refused(_)) => counts
                        .skipped
                        .push(format!("{}: reaction {emoji}: too many kinds", m.origin)),
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    for file in files {
        let (filename, original) = crate::files::names::from_client(Some(&file.name));
        let file_id = files::insert(
            c,
            &NewFile {
                uuid: file.uuid,
                uploader_id: author,
                container: Some(place),
                filename,
                original_filename: original,
                description: None,
                size: file.size,
                thumbnail: sniff::has_thumbnail(&file.mime),
                mime_type: file.mime,
                sha256: file.sha256,
            },
        )?;
        files::attach(c, id, author, place, &[file_id])?;
        counts.files += 1;
    }
    imports::map(c, source, "message", &m.id, id)?;
    Ok(Some(place))
}

/// A reaction's emoji: the character for the shortcodes people use most,
/// the shortcode itself (`:name:`) otherwise.
fn emoji_of(name: &str) -> String {
    let name = name.trim_matches(':');
    let known = match name.split("::").next().unwrap_or(name) {
        "+1" | "thumbsup" => "👍",
        "-1" | "thumbsdown" => "👎",
        "heart" => "❤️",
        "joy" => "😂",
        "tada" => "🎉",
        "eyes" => "👀",
        "smile" => "😄",
        "white_check_mark" => "✅",
        "rocket" => "🚀",
        "fire" => "🔥",
        "pray" => "🙏",
        "100" => "💯",
        _ => "",
    };
    if known.is_empty() {
        format!(":{name}:")
    } else {
        known.to_owned()
    }
}
