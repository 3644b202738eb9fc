//! What an import carries, whatever its source: users, rooms, direct
//! conversations and messages, named by the source's own ids. The readers of
//! each export make batches of these; the domain applies them (the same
//! batches go over the API with `--url`).

use serde::{Deserialize, Serialize};

/// A part of an export, applied in one transaction.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Batch {
    /// `slack` or `mattermost`: source ids are unique within a source.
    pub source: String,
    #[serde(default)]
    pub users: Vec<User>,
    #[serde(default)]
    pub rooms: Vec<Room>,
    #[serde(default)]
    pub conversations: Vec<Conversation>,
    #[serde(default)]
    pub messages: Vec<Message>,
}

impl Batch {
    pub fn new(source: &str) -> Batch {
        Batch {
            source: source.to_owned(),
            ..Batch::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
            && self.rooms.is_empty()
            && self.conversations.is_empty()
            && self.messages.is_empty()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub username: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Member {
    /// The source's user id.
    pub user: String,
    /// `owner`, `moderator` or `member`.
    pub role: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Room {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub private: bool,
    pub members: Vec<Member>,
}

/// A direct conversation between two people.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Conversation {
    pub id: String,
    pub members: [String; 2],
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reaction {
    /// A shortcode (`thumbsup`) or the emoji itself.
    pub emoji: String,
    pub users: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct File {
    pub id: String,
    pub name: String,
    /// The bytes, base64 (standard alphabet).
    pub data_base64: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    pub id: String,
    /// The room's source id, or the conversation's.
    pub room: Option<String>,
    pub conversation: Option<String>,
    pub user: String,
    /// The text, in `format`.
    pub text: String,
    /// `slack` (Slack's markup, converted on the way in) or `markdown`.
    pub format: String,
    /// RFC 3339.
    pub created_at: String,
    pub edited_at: Option<String>,
    /// The thread's first message (source id).
    pub parent: Option<String>,
    #[serde(default)]
    pub reactions: Vec<Reaction>,
    #[serde(default)]
    pub pinned: bool,
    #[serde(default)]
    pub files: Vec<File>,
    /// Where it was read (file and line), for reports.
    #[serde(default)]
    pub origin: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Counts {
    pub users_matched: u64,
    pub users_created: u64,
    pub rooms: u64,
    pub conversations: u64,
    pub messages: u64,
    pub replies: u64,
    pub reactions: u64,
    pub pins: u64,
    pub files: u64,
    /// Already imported by an earlier run: left alone.
    pub already_there: u64,
    /// Entries not imported, each with where and why.
    pub skipped: Vec<String>,
}

impl Counts {
    pub fn add(&mut self, other: Counts) {
        self.users_matched += other.users_matched;
        self.users_created += other.users_created;
        self.rooms += other.rooms;
        self.conversations += other.conversations;
        self.messages += other.messages;
        self.replies += other.replies;
        self.reactions += other.reactions;
        self.pins += other.pins;
        self.files += other.files;
        self.already_there += other.already_there;
        self.skipped.extend(other.skipped);
    }
}
