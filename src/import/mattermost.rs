//! A Mattermost bulk export: JSON lines of `version`, `team`, `channel`,
//! `user`, `post`, `direct_channel` and `direct_post`, with attachments under
//! `data/` beside the file (or in the zip). Read line by line: memory stays
//! flat however long the export.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Cursor};

use base64::Engine;
use serde_json::Value;

use crate::import::model::{Batch, Conversation, File, Member, Message, Reaction, Room, User};
use crate::import::source::Export;

const BATCH_MESSAGES: usize = 2000;
const BATCH_FILE_BYTES: usize = 16 << 20;

fn s(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// The items of the array at `key` (none when it is absent or not an array).
fn items<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    v.get(key).and_then(Value::as_array).into_iter().flatten()
}

/// The strings of the array at `key`.
fn strings(v: &Value, key: &str) -> Vec<String> {
    items(v, key)
        .filter_map(|m| m.as_str().map(str::to_owned))
        .collect()
}

fn time_of(ms: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(ms).map(crate::time::format)
}

/// The place of a direct channel: a conversation for two, a private room for more.
fn direct_id(members: &[String]) -> String {
    let mut sorted = members.to_vec();
    sorted.sort();
    format!("direct:{}", sorted.join(","))
}

struct Reader<'a> {
    export: &'a mut Export,
    batch: Batch,
    file_bytes: usize,
    /// Rooms read but not yet handed over (their members come with the users).
    rooms: BTreeMap<String, Room>,
    users: Vec<User>,
    /// Places handed over: rooms and conversations by id.
    settled: bool,
    direct_rooms: HashMap<String, bool>,
}

/// Reads the export at `jsonl` (a file's name inside `export`), handing batches
/// to `sink`.
pub fn read(
    export: &mut Export,
    jsonl: &str,
    sink: &mut dyn FnMut(Batch) -> Result<(), String>,
    skipped: &mut Vec<String>,
) -> Result<(), String> {
    let bytes = export
        .read(jsonl)?
        .ok_or_else(|| format!("{jsonl}: not found in the export"))?;
    let mut reader = Reader {
        export,
        batch: Batch::new("mattermost"),
        file_bytes: 0,
        rooms: BTreeMap::new(),
        users: Vec::new(),
        settled: false,
        direct_rooms: HashMap::new(),
    };
    for (n, line) in Cursor::new(bytes).lines().enumerate() {
        let origin = format!("{jsonl}:{}", n + 1);
        let line = line.map_err(|e| format!("{origin}: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => {
                skipped.push(format!("{origin}: {e}"));
                continue;
            }
        };
        let kind = s(&value, "type").unwrap_or_default();
        let body = value.get(kind.as_str()).cloned().unwrap_or(Value::Null);
        match kind.as_str() {
            "version" | "team" | "scheme" | "emoji" => {}
            "channel" => reader.channel(&body, &origin, skipped),
            "user" => reader.user(&body, &origin, skipped),
            "direct_channel" => {
                reader.settle(sink)?;
                reader.direct_channel(&body, &origin, skipped);
            }
            "post" | "direct_post" => {
                reader.settle(sink)?;
                reader.post(&body, kind == "direct_post", &origin, skipped)?;
                if reader.batch.messages.len() >= BATCH_MESSAGES
                    || reader.file_bytes >= BATCH_FILE_BYTES
                {
                    reader.flush(sink)?;
                }
            }
            other => skipped.push(format!("{origin}: unknown line type `{other}`")),
        }
    }
    reader.settle(sink)?;
    reader.flush(sink)
}

impl Reader<'_> {
    fn flush(&mut self, sink: &mut dyn FnMut(Batch) -> Result<(), String>) -> Result<(), String> {
        if !self.batch.is_empty() {
            sink(std::mem::replace(&mut self.batch, Batch::new("mattermost")))?;
        }
        self.file_bytes = 0;
        Ok(())
    }

    /// The people and rooms read so far go first, before any message.
    fn settle(&mut self, sink: &mut dyn FnMut(Batch) -> Result<(), String>) -> Result<(), String> {
        if self.settled {
            return Ok(());
        }
        self.settled = true;
        self.batch.users.append(&mut self.users);
        self.batch
            .rooms
            .extend(std::mem::take(&mut self.rooms).into_values());
        self.flush(sink)
    }

    fn channel(&mut self, c: &Value, origin: &str, skipped: &mut Vec<String>) {
        let (Some(team), Some(name)) = (s(c, "team"), s(c, "name")) else {
            skipped.push(format!("{origin}: a channel without a team or a name"));
            return;
        };
        let id = format!("{team}/{name}");
        self.rooms.insert(
            id.clone(),
            Room {
                id,
                name: s(c, "display_name")
                    .filter(|d| !d.is_empty())
                    .unwrap_or(name),
                description: s(c, "purpose")
                    .or_else(|| s(c, "header"))
                    .filter(|d| !d.is_empty()),
                private: s(c, "type").as_deref() == Some("P"),
                members: Vec::new(),
            },
        );
    }

    fn user(&mut self, u: &Value, origin: &str, skipped: &mut Vec<String>) {
        let Some(username) = s(u, "username") else {
            skipped.push(format!("{origin}: a user without a username"));
            return;
        };
        for team in items(u, "teams") {
            let Some(team_name) = s(team, "name") else {
                continue;
            };
            for ch in items(team, "channels") {
                let Some(ch_name) = s(ch, "name") else {
                    continue;
                };
                let roles = s(ch, "roles").unwrap_or_default();
                let role = if roles.contains("channel_admin") {
                    "moderator"
                } else {
                    "member"
                };
                if let Some(room) = self.rooms.get_mut(&format!("{team_name}/{ch_name}")) {
                    room.members.push(Member {
                        user: username.clone(),
                        role: role.into(),
                    });
                }
            }
        }
        self.users.push(User {
            id: username.clone(),
            username,
            email: s(u, "email"),
            first_name: s(u, "first_name").filter(|x| !x.is_empty()),
            last_name: s(u, "last_name").filter(|x| !x.is_empty()),
        });
    }

    fn direct_channel(&mut self, d: &Value, origin: &str, skipped: &mut Vec<String>) {
        let members: Vec<String> = strings(d, "members");
        let id = direct_id(&members);
        match members.len() {
            2 => {
                self.batch.conversations.push(Conversation {
                    id: id.clone(),
                    members: [members[0].clone(), members[1].clone()],
                });
                self.direct_rooms.insert(id, false);
            }
            n if n > 2 => {
                self.batch.rooms.push(Room {
                    id: id.clone(),
                    name: format!("dm-{}", members.join("-")),
                    description: None,
                    private: true,
                    members: members
                        .iter()
                        .map(|m| Member {
                            user: m.clone(),
                            role: "member".into(),
                        })
                        .collect(),
                });
                self.direct_rooms.insert(id, true);
            }
            _ => skipped.push(format!("{origin}: a direct channel of fewer than two")),
        }
    }

    fn post(
        &mut self,
        p: &Value,
        direct: bool,
        origin: &str,
        skipped: &mut Vec<String>,
    ) -> Result<(), String> {
        let (room, conversation) = if direct {
            let members: Vec<String> = strings(p, "channel_members");
            let id = direct_id(&members);
            match self.direct_rooms.get(&id) {
                Some(true) => (Some(id), None),
                Some(false) => (None, Some(id)),
                None => {
                    skipped.push(format!(
                        "{origin}: a direct post of an unknown direct channel"
                    ));
                    return Ok(());
                }
            }
        } else {
            match (s(p, "team"), s(p, "channel")) {
                (Some(team), Some(channel)) => (Some(format!("{team}/{channel}")), None),
                _ => {
                    skipped.push(format!("{origin}: a post without a team or a channel"));
                    return Ok(());
                }
            }
        };
        let Some(root) =
            self.message_of(p, room.clone(), conversation.clone(), None, origin, skipped)?
        else {
            return Ok(());
        };
        let root_id = root.id.clone();
        self.batch.messages.push(root);
        for reply in items(p, "replies") {
            if let Some(m) = self.message_of(
                reply,
                room.clone(),
                conversation.clone(),
                Some(root_id.clone()),
                origin,
                skipped,
            )? {
                self.batch.messages.push(m);
            }
        }
        Ok(())
    }

    fn message_of(
        &mut self,
        p: &Value,
        room: Option<String>,
        conversation: Option<String>,
        parent: Option<String>,
        origin: &str,
        skipped: &mut Vec<String>,
    ) -> Result<Option<Message>, String> {
        let (Some(user), Some(at)) = (s(p, "user"), p.get("create_at").and_then(Value::as_i64))
        else {
            skipped.push(format!("{origin}: a post without a user or create_at"));
            return Ok(None);
        };
        let Some(created_at) = time_of(at) else {
            skipped.push(format!("{origin}: create_at {at} is not a time"));
            return Ok(None);
        };
        let place = room
            .as_deref()
            .or(conversation.as_deref())
            .unwrap_or_default();
        let id = format!("{place}/{at}/{user}");
        let reactions: Vec<Reaction> = items(p, "reactions")
            .filter_map(|r| {
                Some(Reaction {
                    emoji: s(r, "emoji_name")?,
                    users: vec![s(r, "user")?],
                })
            })
            .collect();
        let mut files = Vec::new();
        for a in items(p, "attachments") {
            let Some(path) = s(a, "path") else { continue };
            let name = path.rsplit('/').next().unwrap_or(&path).to_owned();
            let inside = if path.starts_with("data/") {
                path.clone()
            } else {
                format!("data/{path}")
            };
            match self.export.read(&inside)? {
                Some(bytes) => {
                    self.file_bytes += bytes.len();
                    files.push(File {
                        id: path.clone(),
                        name,
                        data_base64: base64::engine::general_purpose::STANDARD.encode(bytes),
                    });
                }
                None => skipped.push(format!("{origin}: attachment {path} is not in the export")),
            }
        }
        let edited_at = p
            .get("edit_at")
            .and_then(Value::as_i64)
            .filter(|t| *t > 0)
            .and_then(time_of);
        Ok(Some(Message {
            id,
            room,
            conversation,
            user,
            text: s(p, "message").unwrap_or_default(),
            format: "markdown".into(),
            created_at,
            edited_at,
            parent,
            reactions,
            pinned: p.get("is_pinned").and_then(Value::as_bool).unwrap_or(false),
            files,
            origin: origin.to_owned(),
        }))
    }
}
