//! Every permission rule, in one place. Handlers ask; they do not re-derive rules.
//!
//! Room roles, from most to least powerful: owner (one per room), moderator, member.
//! A site admin has an owner's powers in every room and sees private rooms.
//! What a caller may not see answers 404, as if it did not exist; what they may see
//! but not do answers 403 `PERMISSION_DENIED`.

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, Missing};

/// A user's e-mail is shown to that user and to admins only.
pub fn can_see_email(viewer_id: i64, viewer_is_admin: bool, owner_id: i64) -> bool {
    viewer_is_admin || viewer_id == owner_id
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoomRole {
    Member,
    Moderator,
    Owner,
}

impl RoomRole {
    pub fn as_str(self) -> &'static str {
        match self {
            RoomRole::Member => "member",
            RoomRole::Moderator => "moderator",
            RoomRole::Owner => "owner",
        }
    }

    pub fn parse(s: &str) -> Option<RoomRole> {
        match s {
            "member" => Some(RoomRole::Member),
            "moderator" => Some(RoomRole::Moderator),
            "owner" => Some(RoomRole::Owner),
            _ => None,
        }
    }
}

/// What a user is to a room: everything the room rules decide on.
#[derive(Debug, Clone, Copy)]
pub struct RoomAccess {
    pub room_id: i64,
    pub is_public: bool,
    /// The caller's membership role, if a member.
    pub role: Option<RoomRole>,
    pub is_admin: bool,
}

fn denied(why: &'static str) -> ApiError {
    ApiError::PermissionDenied(why)
}

impl RoomAccess {
    /// Public rooms are visible to all; private ones to members and admins.
    pub fn can_see(&self) -> bool {
        self.is_public || self.role.is_some() || self.is_admin
    }

    /// 404 unless the caller may know the room exists.
    pub fn require_visible(self) -> Result<RoomAccess, ApiError> {
        if self.can_see() {
            Ok(self)
        } else {
            Err(ApiError::NotFound(Missing::Room))
        }
    }

    /// The role the caller acts with: an admin acts as owner.
    fn power(&self) -> Option<RoomRole> {
        if self.is_admin {
            Some(RoomRole::Owner)
        } else {
            self.role
        }
    }

    pub fn is_member(&self) -> bool {
        self.role.is_some()
    }

    /// Members may read markers, post and react.
    pub fn require_member(&self) -> Result<(), ApiError> {
        if self.is_member() {
            Ok(())
        } else {
            Err(denied("join the room first"))
        }
    }

    /// Members, and admins who are not members: room statistics.
    pub fn require_member_or_admin(&self) -> Result<(), ApiError> {
        if self.is_member() || self.is_admin {
            Ok(())
        } else {
            Err(denied("members only"))
        }
    }

    /// A message's author may delete it and read its history; so may moderators.
    pub fn require_author_or_moderator(
        &self,
        actor_id: i64,
        author_id: i64,
    ) -> Result<(), ApiError> {
        if actor_id == author_id {
            Ok(())
        } else {
            self.require_moderator()
        }
    }

    /// Whether the caller may add themself: public rooms, and admins anywhere.
    pub fn can_join(&self) -> bool {
        self.is_public || self.is_admin
    }

    /// Moderators and owners: edit name and description, add and remove members,
    /// delete others' messages, pin, read the audit log.
    pub fn require_moderator(&self) -> Result<(), ApiError> {
        match self.power() {
            Some(RoomRole::Moderator | RoomRole::Owner) => Ok(()),
            _ => Err(denied("moderators and the owner only")),
        }
    }

    /// The owner only: delete the room, change roles, transfer ownership, change
    /// visibility and the member cap.
    pub fn require_owner(&self) -> Result<(), ApiError> {
        match self.power() {
            Some(RoomRole::Owner) => Ok(()),
            _ => Err(denied("the room owner only")),
        }
    }

    /// Who may change a room: moderators its name and description, the owner also
    /// its visibility and member cap.
    pub fn require_can_update(&self, touches_settings: bool) -> Result<(), ApiError> {
        self.require_moderator()?;
        if touches_settings {
            self.require_owner()?;
        }
        Ok(())
    }

    /// Adding oneself is joining: only as a plain member.
    pub fn require_self_add_role(role: RoomRole) -> Result<(), ApiError> {
        if role == RoomRole::Member {
            Ok(())
        } else {
            Err(denied("you can only add yourself as a member"))
        }
    }

    /// A role change from `current`: the owner keeps the role until ownership is
    /// transferred (by making another member the owner).
    pub fn require_role_can_change(current: RoomRole) -> Result<(), ApiError> {
        if current == RoomRole::Owner {
            Err(ApiError::StateConflict(
                "the owner keeps that role until ownership is transferred to another member",
            ))
        } else {
            Ok(())
        }
    }

    /// Whether the caller may give a new member `role` when adding them.
    pub fn require_can_grant(&self, role: RoomRole) -> Result<(), ApiError> {
        match role {
            RoomRole::Member => self.require_moderator(),
            RoomRole::Moderator => self.require_owner(),
            RoomRole::Owner => Err(ApiError::validation(
                "role",
                "ownership is transferred with PUT /rooms/{id}/members/{user_id}",
            )),
        }
    }

    /// Whether the caller may remove another member whose role is `target`.
    /// Nobody removes the owner; only the owner removes moderators.
    pub fn require_can_remove(&self, target: RoomRole) -> Result<(), ApiError> {
        match target {
            RoomRole::Owner => Err(denied("the owner cannot be removed")),
            RoomRole::Moderator => self.require_owner(),
            RoomRole::Member => self.require_moderator(),
        }
    }
}

/// What a participant is to a direct conversation. Only its two participants ever
/// get one (anyone else, admins included, gets a 404: direct messages are private).
#[derive(Debug, Clone, Copy)]
pub struct ConversationAccess {
    pub conversation_id: i64,
    /// Either participant has blocked the other.
    pub blocked: bool,
}

/// The caller's standing in the room or conversation a message belongs to: the
/// message rules, asked the same way for both.
#[derive(Debug, Clone, Copy)]
pub enum Access {
    Room(RoomAccess),
    Conversation(ConversationAccess),
}

impl Access {
    /// Posting, editing and reacting: room members; in a conversation, unless
    /// either side has blocked the other.
    pub fn require_can_write(&self) -> Result<(), ApiError> {
        match self {
            Access::Room(room) => room.require_member(),
            Access::Conversation(c) if c.blocked => Err(ApiError::UserBlocked),
            Access::Conversation(_) => Ok(()),
        }
    }

    /// Deleting a message and reading its history: its author, and in rooms the
    /// moderators; conversations have no moderators.
    pub fn require_author_or_moderator(
        &self,
        actor_id: i64,
        author_id: i64,
    ) -> Result<(), ApiError> {
        match self {
            Access::Room(room) => room.require_author_or_moderator(actor_id, author_id),
            Access::Conversation(_) if actor_id == author_id => Ok(()),
            Access::Conversation(_) => Err(denied("only the author can do this")),
        }
    }

    pub fn require_author(&self, actor_id: i64, author_id: i64) -> Result<(), ApiError> {
        if actor_id == author_id {
            Ok(())
        } else {
            Err(denied("only the author can edit a message"))
        }
    }

    /// Pinning: room moderators; either participant of a conversation.
    pub fn require_can_pin(&self) -> Result<(), ApiError> {
        match self {
            Access::Room(room) => room.require_moderator(),
            Access::Conversation(_) => Ok(()),
        }
    }
}

/// Files: the uploader, whoever may read the room or conversation the file
/// belongs to (`access`, when they may), and everyone for the audio a stream plays
/// (`streamed`). Anyone else is told it does not exist.
pub fn require_can_read_file(
    actor_id: i64,
    uploader_id: i64,
    access: Option<&Access>,
    streamed: bool,
) -> Result<(), ApiError> {
    if actor_id == uploader_id || access.is_some() || streamed {
        Ok(())
    } else {
        Err(ApiError::NotFound(Missing::File))
    }
}

/// Deleting a file: its uploader; in a room, its moderators, owner and admins.
pub fn require_can_delete_file(
    actor_id: i64,
    uploader_id: i64,
    access: Option<&Access>,
) -> Result<(), ApiError> {
    require_can_read_file(actor_id, uploader_id, access, false)?;
    match access {
        _ if actor_id == uploader_id => Ok(()),
        Some(Access::Room(room)) => room.require_moderator(),
        _ => Err(denied("only the uploader can delete this file")),
    }
}

/// Webhooks: a room's are managed by its moderators and owner (and admins);
/// server-wide ones by admins. `room` is the caller's standing in the webhook's
/// room, if it has one.
pub fn require_can_manage_webhooks(
    room: Option<&RoomAccess>,
    is_admin: bool,
) -> Result<(), ApiError> {
    match room {
        Some(room) => room.require_moderator(),
        None if is_admin => Ok(()),
        None => Err(denied("only administrators manage server-wide webhooks")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(is_public: bool, role: Option<RoomRole>, is_admin: bool) -> RoomAccess {
        RoomAccess {
            room_id: 1,
            is_public,
            role,
            is_admin,
        }
    }

    #[test]
    fn visibility() {
        assert!(access(true, None, false).can_see());
        assert!(!access(false, None, false).can_see());
        assert!(access(false, Some(RoomRole::Member), false).can_see());
        assert!(access(false, None, true).can_see());
    }

    #[test]
    fn conversations_have_no_moderators_and_blocks_stop_writes() {
        let open = Access::Conversation(ConversationAccess {
            conversation_id: 1,
            blocked: false,
        });
        let blocked = Access::Conversation(ConversationAccess {
            conversation_id: 1,
            blocked: true,
        });
        assert!(open.require_can_write().is_ok());
        assert!(matches!(
            blocked.require_can_write(),
            Err(ApiError::UserBlocked)
        ));
        assert!(open.require_author_or_moderator(1, 1).is_ok());
        assert!(open.require_author_or_moderator(1, 2).is_err());
        assert!(open.require_can_pin().is_ok());
    }

    #[test]
    fn powers_by_role() {
        use RoomRole::*;
        let member = access(true, Some(Member), false);
        let moderator = access(true, Some(Moderator), false);
        let owner = access(true, Some(Owner), false);
        let admin = access(false, None, true);
        assert!(member.require_moderator().is_err());
        assert!(moderator.require_moderator().is_ok());
        assert!(moderator.require_owner().is_err());
        assert!(owner.require_owner().is_ok());
        assert!(admin.require_owner().is_ok());
        assert!(moderator.require_can_remove(Member).is_ok());
        assert!(moderator.require_can_remove(Moderator).is_err());
        assert!(owner.require_can_remove(Moderator).is_ok());
        assert!(admin.require_can_remove(Owner).is_err());
        assert!(moderator.require_can_grant(Member).is_ok());
        assert!(moderator.require_can_grant(Moderator).is_err());
        assert!(owner.require_can_grant(Owner).is_err());
    }
}

/// How much of a place a user wants to be told about (API §16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotificationLevel {
    All,
    Mentions,
    None,
}

impl NotificationLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationLevel::All => "all",
            NotificationLevel::Mentions => "mentions",
            NotificationLevel::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<NotificationLevel> {
        match s {
            "all" => Some(NotificationLevel::All),
            "mentions" => Some(NotificationLevel::Mentions),
            "none" => Some(NotificationLevel::None),
            _ => None,
        }
    }
}

/// Where a new message stands for one user who could be told of it.
#[derive(Debug, Clone, Copy)]
pub struct PushCandidate {
    pub reason: crate::push::payload::Reason,
    /// The room's level for them, or their default (direct messages: the default).
    pub level: NotificationLevel,
    /// They are a member, or the room is public (a direct message: a participant).
    pub can_read: bool,
    /// They have blocked the author.
    pub blocked_author: bool,
    /// The room is muted, or do-not-disturb is on.
    pub silenced: bool,
    /// A connection of theirs said it was in view within the last minute.
    pub reading: bool,
}

/// Whether a new message is pushed to a user: never the author (not a candidate),
/// never someone who cannot read it, who blocked the author, who silenced the
/// place or themselves, or who is reading already. Direct messages, mentions and
/// replies to their thread count as mentions; anything else needs level `all`.
pub fn should_push(candidate: &PushCandidate) -> bool {
    use crate::push::payload::Reason;
    if !candidate.can_read || candidate.blocked_author || candidate.silenced || candidate.reading {
        return false;
    }
    match candidate.level {
        NotificationLevel::None => false,
        NotificationLevel::Mentions => candidate.reason != Reason::Message,
        NotificationLevel::All => true,
    }
}

/// Who may make invitations (API §17): admins, to anything; others only to rooms
/// they moderate (checked room by room), at least one, and not while
/// registration is closed (then only an admin's invitations let anyone in).
pub fn require_may_invite(
    is_admin: bool,
    registration_closed: bool,
    rooms_named: usize,
) -> Result<(), ApiError> {
    if is_admin {
        return Ok(());
    }
    if registration_closed {
        return Err(ApiError::PermissionDenied(
            "registration is closed: only administrators invite",
        ));
    }
    if rooms_named == 0 {
        return Err(ApiError::PermissionDenied(
            "name the rooms you moderate in room_ids: only administrators invite to the server alone",
        ));
    }
    Ok(())
}

/// What a personal access token may do (API §20).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scopes {
    /// Reads: `GET` and `HEAD`.
    pub read: bool,
    /// Every other method.
    pub write: bool,
    /// The `/api/v1/admin` routes (administrators' tokens only).
    pub admin: bool,
}

impl Scopes {
    /// Parses `read,write` (as stored, or as a client lists them).
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Scopes, String> {
        let mut scopes = Scopes::default();
        for name in names {
            match name.trim() {
                "read" => scopes.read = true,
                "write" => scopes.write = true,
                "admin" => scopes.admin = true,
                other => return Err(format!("unknown scope `{other}` (read, write, admin)")),
            }
        }
        Ok(scopes)
    }

    pub fn names(self) -> Vec<&'static str> {
        [
            ("read", self.read),
            ("write", self.write),
            ("admin", self.admin),
        ]
        .into_iter()
        .filter_map(|(name, on)| on.then_some(name))
        .collect()
    }
}

/// Whether a request made with an access token of `scopes` may go to `path`
/// with `method`. Tokens never reach what a session alone may do: make or
/// revoke tokens, change the password, log out, subscribe a browser to pushes,
/// open the WebSocket (its life is tied to a session). Then: the admin routes
/// need `admin`, reads `read`, everything else `write`.
pub fn token_may(method: &str, path: &str, scopes: Scopes) -> Result<(), ApiError> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let session_only = matches!(
        segments.as_slice(),
        ["", "api", "v1", "users", "me", "tokens" | "sessions", ..]
            | ["", "api", "v1", "bots", _, "tokens", ..]
            | ["", "api", "v1", "users", "me", "password"]
            | ["", "api", "v1", "auth", ..]
            | ["", "auth", ..]
            | ["", "api", "v1", "push", ..]
            | ["", "api", "v1", "ws"]
    );
    if session_only {
        return Err(ApiError::PermissionDenied(
            "an access token cannot do this: sign in with a password",
        ));
    }
    let (needed, name) = if segments.get(3) == Some(&"admin") {
        (scopes.admin, "admin")
    } else if matches!(method, "GET" | "HEAD") {
        (scopes.read, "read")
    } else {
        (scopes.write, "write")
    };
    if needed {
        return Ok(());
    }
    Err(ApiError::PermissionDenied(match name {
        "admin" => "this token lacks the admin scope",
        "read" => "this token lacks the read scope",
        _ => "this token lacks the write scope",
    }))
}
