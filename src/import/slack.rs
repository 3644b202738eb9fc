//! A Slack workspace export: `users.json`, `channels.json` (public),
//! `groups.json` (private), `dms.json`, `mpims.json` (group DMs, which become
//! private rooms), and a folder per channel of `YYYY-MM-DD.json` arrays of
//! messages. Files are read from `__uploads/{id}/{name}` (where export tools
//! put them) when the export holds them.

use std::collections::{BTreeSet, HashSet};

use base64::Engine;
use serde::Deserialize;
use serde_json::Value;

use crate::import::model::{Batch, Conversation, File, Member, Message, Reaction, Room, User};
use crate::import::source::{located, Export};

/// Messages in one batch, and the bytes of files at most before it is sent.
const BATCH_MESSAGES: usize = 2000;
const BATCH_FILE_BYTES: usize = 16 << 20;

#[derive(Deserialize)]
struct SlackUser {
    id: String,
    name: String,
    #[serde(default)]
    real_name: Option<String>,
    #[serde(default)]
    profile: Option<Profile>,
}

#[derive(Deserialize, Default)]
struct Profile {
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
}

#[derive(Deserialize)]
struct Channel {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    creator: Option<String>,
    #[serde(default)]
    members: Vec<String>,
    #[serde(default)]
    purpose: Option<Value>,
    #[serde(default)]
    topic: Option<Value>,
    #[serde(default)]
    pins: Vec<Value>,
}

/// A place messages are read from: its folder, and its source id as a room or
/// a conversation.
struct Place {
    folder: String,
    room: Option<String>,
    conversation: Option<String>,
    pinned: HashSet<String>,
}

fn read_list<T: for<'de> Deserialize<'de>>(
    export: &mut Export,
    name: &str,
    skipped: &mut Vec<String>,
) -> Result<Vec<T>, String> {
    match export.read(name)? {
        None => Ok(Vec::new()),
        Some(bytes) => match serde_json::from_slice::<Vec<T>>(&bytes) {
            Ok(list) => Ok(list),
            Err(e) => {
                skipped.push(located(name, &e));
                Ok(Vec::new())
            }
        },
    }
}

fn text_of(value: &Option<Value>) -> Option<String> {
    value
        .as_ref()
        .and_then(|v| v.get("value"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .filter(|s| !s.is_empty())
}

/// Slack's `ts` (seconds with microseconds) as RFC 3339.
fn time_of(ts: &str) -> Option<String> {
    let secs: f64 = ts.parse().ok()?;
    let millis = (secs * 1000.0).round() as i64;
    let at = chrono::DateTime::from_timestamp_millis(millis)?;
    Some(crate::time::format(at))
}

/// Reads the export, handing batches to `sink` in an order that applies:
/// people, then places, then messages channel by channel, day by day.
pub fn read(
    export: &mut Export,
    sink: &mut dyn FnMut(Batch) -> Result<(), String>,
    skipped: &mut Vec<String>,
) -> Result<(), String> {
    let names = export.names();
    let mut batch = Batch::new("slack");
    let users: Vec<SlackUser> = read_list(export, "users.json", skipped)?;
    let known: HashSet<String> = users.iter().map(|u| u.id.clone()).collect();
    for u in &users {
        let profile = u.profile.as_ref();
        let (first, last) = match profile {
            Some(p) if p.first_name.is_some() || p.last_name.is_some() => {
                (p.first_name.clone(), p.last_name.clone())
            }
            _ => (u.real_name.clone(), None),
        };
        batch.users.push(User {
            id: u.id.clone(),
            username: u.name.clone(),
            email: profile.and_then(|p| p.email.clone()),
            first_name: first.filter(|s| !s.is_empty()),
            last_name: last.filter(|s| !s.is_empty()),
        });
    }
    let mut places = Vec::new();
    for (file, private) in [("channels.json", false), ("groups.json", true)] {
        for ch in read_list::<Channel>(export, file, skipped)? {
            let name = ch.name.clone().unwrap_or_else(|| ch.id.clone());
            batch.rooms.push(room_of(&ch, &name, private));
            places.push(Place {
                folder: name,
                room: Some(ch.id.clone()),
                conversation: None,
                pinned: pinned_of(&ch),
            });
        }
    }
    for ch in read_list::<Channel>(export, "mpims.json", skipped)? {
        let name = ch.name.clone().unwrap_or_else(|| ch.id.clone());
        batch.rooms.push(room_of(&ch, &name, true));
        places.push(Place {
            folder: name,
            room: Some(ch.id.clone()),
            conversation: None,
            pinned: pinned_of(&ch),
        });
    }
    for dm in read_list::<Channel>(export, "dms.json", skipped)? {
        match dm.members.as_slice() {
            [a, b] => {
                batch.conversations.push(Conversation {
                    id: dm.id.clone(),
                    members: [a.clone(), b.clone()],
                });
                places.push(Place {
                    folder: dm.id.clone(),
                    room: None,
                    conversation: Some(dm.id.clone()),
                    pinned: pinned_of(&dm),
                });
            }
            _ => skipped.push(format!("dms.json: {}: not two people", dm.id)),
        }
    }
    // Authors the users list forgot (deleted long ago): made from their ids.
    let mut unknown: BTreeSet<String> = BTreeSet::new();
    sink(std::mem::replace(&mut batch, Batch::new("slack")))?;

    let mut file_bytes = 0usize;
    for place in &places {
        let prefix = format!("{}/", place.folder);
        let days: Vec<String> = names
            .iter()
            .filter(|n| {
                n.starts_with(&prefix) && n.ends_with(".json") && !n[prefix.len()..].contains('/')
            })
            .cloned()
            .collect();
        for day in days {
            let Some(bytes) = export.read(&day)? else {
                continue;
            };
            let list: Vec<Value> = match serde_json::from_slice(&bytes) {
                Ok(list) => list,
                Err(e) => {
                    skipped.push(located(&day, &e));
                    continue;
                }
            };
            for (i, raw) in list.into_iter().enumerate() {
                let origin = format!("{day}: message {}", i + 1);
                let Some(message) = message_of(
                    &raw,
                    place,
                    &origin,
                    export,
                    &names,
                    skipped,
                    &mut file_bytes,
                )?
                else {
                    continue;
                };
                if !known.contains(&message.user) && unknown.insert(message.user.clone()) {
                    batch.users.push(User {
                        id: message.user.clone(),
                        username: format!("slack-{}", message.user.to_lowercase()),
                        email: None,
                        first_name: None,
                        last_name: None,
                    });
                }
                batch.messages.push(message);
                if batch.messages.len() >= BATCH_MESSAGES || file_bytes >= BATCH_FILE_BYTES {
                    sink(std::mem::replace(&mut batch, Batch::new("slack")))?;
                    file_bytes = 0;
                }
            }
        }
    }
    if !batch.is_empty() {
        sink(batch)?;
    }
    Ok(())
}

fn room_of(ch: &Channel, name: &str, private: bool) -> Room {
    let members = ch
        .members
        .iter()
        .map(|m| Member {
            user: m.clone(),
            role: if ch.creator.as_deref() == Some(m) {
                "owner"
            } else {
                "member"
            }
            .into(),
        })
        .collect();
    Room {
        id: ch.id.clone(),
        name: name.to_owned(),
        description: text_of(&ch.purpose).or_else(|| text_of(&ch.topic)),
        private,
        members,
    }
}

fn pinned_of(ch: &Channel) -> HashSet<String> {
    ch.pins
        .iter()
        .filter_map(|p| p.get("id").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

/// Message subtypes that are not someone's words (joins, topic changes…).
fn is_notice(subtype: &str) -> bool {
    subtype.starts_with("channel_")
        || subtype.starts_with("group_")
        || matches!(
            subtype,
            "bot_add" | "bot_remove" | "pinned_item" | "unpinned_item" | "tombstone"
        )
}

#[allow(clippy::too_many_arguments)]
fn message_of(
    raw: &Value,
    place: &Place,
    origin: &str,
    export: &mut Export,
    names: &BTreeSet<String>,
    skipped: &mut Vec<String>,
    file_bytes: &mut usize,
) -> Result<Option<Message>, String> {
    let str_of = |key: &str| raw.get(key).and_then(Value::as_str);
    if str_of("type").is_some_and(|t| t != "message") || str_of("subtype").is_some_and(is_notice) {
        return Ok(None);
    }
    let Some(ts) = str_of("ts") else {
        skipped.push(format!("{origin}: no ts"));
        return Ok(None);
    };
    let Some(created_at) = time_of(ts) else {
        skipped.push(format!("{origin}: ts {ts} is not a time"));
        return Ok(None);
    };
    let Some(user) = str_of("user").or(str_of("bot_id")) else {
        skipped.push(format!("{origin}: no author"));
        return Ok(None);
    };
    let key = place
        .room
        .as_deref()
        .or(place.conversation.as_deref())
        .unwrap_or_default();
    let parent = str_of("thread_ts")
        .filter(|t| *t != ts)
        .map(|t| format!("{key}:{t}"));
    let reactions = raw
        .get("reactions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| {
            Some(Reaction {
                emoji: r.get("name")?.as_str()?.to_owned(),
                users: r
                    .get("users")?
                    .as_array()?
                    .iter()
                    .filter_map(|u| u.as_str().map(str::to_owned))
                    .collect(),
            })
        })
        .collect();
    let pinned = place.pinned.contains(ts)
        || raw
            .get("pinned_to")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|c| c.as_str() == Some(key)));
    let mut files = Vec::new();
    for f in raw
        .get("files")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(id), Some(name)) = (
            f.get("id").and_then(Value::as_str),
            f.get("name").and_then(Value::as_str),
        ) else {
            continue;
        };
        let path = format!("__uploads/{id}/{name}");
        let bytes = if names.contains(&path) {
            export.read(&path)?
        } else {
            None
        };
        match bytes {
            Some(bytes) => {
                *file_bytes += bytes.len();
                files.push(File {
                    id: id.to_owned(),
                    name: name.to_owned(),
                    data_base64: base64::engine::general_purpose::STANDARD.encode(bytes),
                });
            }
            None => skipped.push(format!("{origin}: file {name} ({id}) is not in the export")),
        }
    }
    let edited_at = raw
        .get("edited")
        .and_then(|e| e.get("ts"))
        .and_then(Value::as_str)
        .and_then(time_of);
    Ok(Some(Message {
        id: format!("{key}:{ts}"),
        room: place.room.clone(),
        conversation: place.conversation.clone(),
        user: user.to_owned(),
        text: str_of("text").unwrap_or_default().to_owned(),
        format: "slack".into(),
        created_at,
        edited_at,
        parent,
        reactions,
        pinned,
        files,
        origin: origin.to_owned(),
    }))
}
