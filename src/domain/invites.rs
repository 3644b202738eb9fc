//! Invitations (API §17): made by admins and room moderators, opened by anyone
//! holding the code, used up by registrations (see `accounts::register`).

use serde::Serialize;

use crate::config::Registration;
use crate::domain::{access, Actor, Context};
use crate::error::{ApiError, ApiResult};
use crate::event::{Event, Work};
use crate::limiter::MailRequests;
use crate::mail::compose;
use crate::sql::Connection;
use crate::store::invites::{self, Invite, InvitedRoom, NewInvite, Usable};
use crate::store::{mail, members, users};
use crate::{policy, time, tokens, validate};

/// Bytes of randomness in a code (160 bits), written as hex.
const CODE_BYTES: usize = 20;
/// Rooms one invitation may name.
const MAX_ROOMS: usize = 50;
pub const MAX_USES: i64 = 1000;
pub const DEFAULT_TTL_SECS: u64 = 7 * 86_400;
pub const MAX_TTL_SECS: u64 = 30 * 86_400;
const MIN_TTL_SECS: u64 = 60;
/// Invitations one person may have alive at once (unexpired, unrevoked,
/// unspent): a bound on what one account can make the server keep.
const MAX_LIVE_PER_CREATOR: i64 = 500;

/// What an invitation asks for, as the client gave it.
pub struct Inviting {
    pub room_ids: Vec<i64>,
    pub max_uses: Option<i64>,
    pub expires_in_secs: Option<u64>,
    pub email: Option<String>,
}

/// A new invitation: the stored one, its code (shown this once) and its link.
#[derive(Serialize)]
pub struct Created {
    #[serde(flatten)]
    pub invite: Invite,
    pub code: String,
    pub url: String,
}

/// What the public page of a code shows.
#[derive(Serialize)]
pub struct Preview {
    pub valid: bool,
    pub rooms: Vec<InvitedRoom>,
    pub inviter: Inviter,
    pub expires_at: String,
}

#[derive(Serialize)]
pub struct Inviter {
    pub username: String,
}

/// Makes an invitation. One mailed to an address counts against `mail_limits`
/// (per address and per inviter): invitations cannot be a way to flood inboxes.
pub async fn create(
    cx: &Context,
    mail_limits: &MailRequests,
    actor: Actor,
    form: Inviting,
) -> ApiResult<Created> {
    let max_uses = form.max_uses.unwrap_or(1);
    if !(1..=MAX_USES).contains(&max_uses) {
        return Err(ApiError::validation(
            "max_uses",
            "must be between 1 and 1000",
        ));
    }
    let ttl = form.expires_in_secs.unwrap_or(DEFAULT_TTL_SECS);
    if !(MIN_TTL_SECS..=MAX_TTL_SECS).contains(&ttl) {
        return Err(ApiError::validation(
            "expires_in_secs",
            "must be between 60 and 2592000 (30 days)",
        ));
    }
    let email = form.email.as_deref().map(validate::email).transpose()?;
    let mut room_ids = form.room_ids;
    room_ids.sort_unstable();
    room_ids.dedup();
    if room_ids.len() > MAX_ROOMS {
        return Err(ApiError::validation("room_ids", "name at most 50 rooms"));
    }
    let closed = cx.config.registration == Registration::Closed;
    policy::require_may_invite(actor.is_admin, closed, room_ids.len())?;
    if let (Some(to), Some(_)) = (&email, &cx.config.smtp) {
        mail_limits
            .hit(to, &format!("inviter:{}", actor.id))
            .map_err(|wait| ApiError::RateLimited {
                retry_after_secs: wait,
            })?;
    }

    let code = tokens::random_hex(CODE_BYTES)?;
    let digest = tokens::digest(&code);
    let base = cx.config.public_base();
    let url = compose::invite_link(&base, &code);
    let expires_at = time::in_secs(ttl);
    let mail_it = cx.config.smtp.is_some();
    let link = url.clone();
    let invite = cx
        .journal
        .write(None, move |c, events| {
            let mut names = Vec::with_capacity(room_ids.len());
            for &room_id in &room_ids {
                access::room(c, room_id, actor)?.require_moderator()?;
                names.push(invites::room_name(c, room_id)?);
            }
            if invites::count_live(c, actor.id)? >= MAX_LIVE_PER_CREATOR {
                return Err(ApiError::conflict(
                    "max_uses",
                    "you have 500 invitations alive: revoke some first",
                ));
            }
            let invite = invites::insert(
                c,
                &NewInvite {
                    code_digest: &digest,
                    created_by: actor.id,
                    max_uses,
                    email: email.as_deref(),
                    expires_at: &expires_at,
                    room_ids: &room_ids,
                },
            )?;
            if let (Some(to), true) = (&email, mail_it) {
                let inviter = users::username_of(c, actor.id)?.unwrap_or_default();
                mail::enqueue(
                    c,
                    &compose::invitation(to, &inviter, &names, &link, &expires_at),
                )?;
                events.push(Event::Queued(Work::Mail));
            }
            Ok(invite)
        })
        .await?;
    Ok(Created { invite, code, url })
}

/// The caller's invitations (an admin's list holds everyone's), newest first.
pub async fn list(
    cx: &Context,
    actor: Actor,
    limit: u32,
    offset: u64,
) -> ApiResult<(Vec<Invite>, u64)> {
    let creator = (!actor.is_admin).then_some(actor.id);
    Ok(cx
        .db
        .read(move |c| invites::list(c, creator, limit, offset))
        .await?)
}

/// Revokes an invitation at once: its creator or an admin. Others' are 404.
pub async fn revoke(cx: &Context, actor: Actor, id: i64) -> ApiResult<()> {
    cx.journal
        .apply(move |c| {
            match invites::get(c, id)? {
                Some(i) if i.created_by == actor.id || actor.is_admin => {}
                _ => return Err(ApiError::NotFoundBecause("no such invitation")),
            }
            invites::revoke(c, id)?;
            Ok(())
        })
        .await
}

/// What anyone holding the code may see; 404 for a code that cannot be used.
pub async fn preview(cx: &Context, code: &str) -> ApiResult<Preview> {
    let digest = tokens::digest(code.trim());
    let closed = cx.config.registration == Registration::Closed;
    let usable = cx
        .db
        .read(move |c| invites::usable(c, &digest))
        .await?
        .filter(|u| !closed || u.inviter_is_admin)
        .ok_or(ApiError::NotFoundBecause(
            "this invitation is unknown, used up, revoked or expired",
        ))?;
    Ok(Preview {
        valid: true,
        rooms: usable.rooms,
        inviter: Inviter {
            username: usable.inviter,
        },
        expires_at: usable.expires_at,
    })
}

/// Inside a registration's write: the invitation a code opens, refused unless
/// it can be used now, and its use counted in the same transaction (so 20
/// concurrent registrations on a code of 10 uses admit exactly 10).
pub(crate) fn take(c: &Connection, code: &str, closed: bool) -> ApiResult<Usable> {
    let usable = check_usable(c, code, closed)?;
    invites::count_use(c, usable.id)?;
    Ok(usable)
}

/// Before a registration spends a password hash: whether its code could be
/// used now (the write checks again and counts).
pub(crate) fn check(c: &Connection, code: &str, closed: bool) -> ApiResult<()> {
    check_usable(c, code, closed).map(|_| ())
}

fn check_usable(c: &Connection, code: &str, closed: bool) -> ApiResult<Usable> {
    invites::usable(c, &tokens::digest(code.trim()))?
        .filter(|u| !closed || u.inviter_is_admin)
        .ok_or_else(|| {
            ApiError::validation(
                "invite_code",
                "is not an invitation that can be used (unknown, used up, revoked or expired)",
            )
        })
}

/// Inside a registration's write: puts the new user in the invitation's rooms.
/// A room that filled up meanwhile, or that its non-admin inviter no longer
/// moderates, is passed over: the account is made all the same.
pub(crate) fn join_rooms(
    c: &Connection,
    events: &mut Vec<Event>,
    invite: &Usable,
    user_id: i64,
) -> ApiResult<()> {
    use crate::policy::RoomRole;
    for room in &invite.rooms {
        if !invite.inviter_is_admin {
            let role = members::role_of(c, room.id, invite.created_by)?;
            if !matches!(role, Some(RoomRole::Moderator | RoomRole::Owner)) {
                continue;
            }
        }
        match members::add(c, room.id, user_id, RoomRole::Member) {
            Ok(()) => events.push(Event::MemberJoined {
                room_id: room.id,
                user_id,
                actor_id: invite.created_by,
                role: RoomRole::Member.as_str().into(),
            }),
            Err(crate::db::StoreError::Refused(crate::db::Refusal::RoomFull)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
