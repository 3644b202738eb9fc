//! Every permission rule, in one place. Handlers ask; they do not re-derive rules.

/// A user's e-mail is shown to that user and to admins only.
pub fn can_see_email(viewer_id: i64, viewer_is_admin: bool, owner_id: i64) -> bool {
    viewer_is_admin || viewer_id == owner_id
}
