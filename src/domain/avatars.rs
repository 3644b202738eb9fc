//! Avatars (API §17): set from an upload, re-encoded; served to anyone signed in.

use crate::domain::Context;
use crate::error::{ApiError, ApiResult};
use crate::event::Event;
use crate::files::avatar;
use crate::files::Staged;
use crate::store::avatars::{self, Avatar};
use crate::store::users::User;
use crate::tokens;

/// Largest upload taken as an avatar.
pub const MAX_BYTES: u64 = 5 * 1024 * 1024;
/// Avatars decoded at once (the permits of `Context::avatar_decoding`): a
/// decoded image may take hundreds of megabytes (up to the pixel limit), so a
/// crowd of uploads waits its turn instead of multiplying that.
pub const DECODING_AT_ONCE: usize = 2;

/// Sets `user_id`'s avatar from a staged upload (removed afterwards).
pub async fn set(cx: &Context, user_id: i64, staged: Staged) -> ApiResult<User> {
    let max_pixels = cx.config.limits.thumbnail_max_pixels;
    let _permit = cx
        .avatar_decoding
        .acquire()
        .await
        .map_err(|_| ApiError::internal("the avatar decoder is closed"))?;
    let made = tokio::task::spawn_blocking(move || {
        let made = avatar::make(staged.path(), max_pixels);
        drop(staged);
        made
    })
    .await
    .map_err(|e| ApiError::internal(format!("the avatar maker stopped: {e}")))?
    .map_err(|e| ApiError::io("cannot read the upload", &e))?;
    let encoded = made.map_err(|refused| ApiError::validation("file", refused.0))?;
    let digest = tokens::digest_bytes(&encoded.bytes);
    let avatar = Avatar {
        digest: digest[..16].to_owned(),
        content_type: encoded.content_type().to_owned(),
        bytes: encoded.bytes,
    };
    cx.journal
        .write(None, move |c, events| {
            avatars::set(c, user_id, &avatar)?;
            events.push(Event::UserChanged { user_id });
            Ok(())
        })
        .await?;
    Ok(cx
        .db
        .read(move |c| crate::store::users::require(c, user_id))
        .await?)
}

pub async fn remove(cx: &Context, user_id: i64) -> ApiResult<()> {
    cx.journal
        .write(None, move |c, events| {
            avatars::remove(c, user_id)?;
            events.push(Event::UserChanged { user_id });
            Ok(())
        })
        .await
}

/// A user's avatar, for anyone signed in; 404 when there is none.
pub async fn get(cx: &Context, user_id: i64) -> ApiResult<Avatar> {
    cx.db
        .read(move |c| avatars::get(c, user_id))
        .await?
        .ok_or(ApiError::NotFoundBecause("this user has no avatar"))
}
