//! Whether a user is online, as every object naming a user shows it.

use serde::Serialize;

use crate::time;

/// A user counts as online when seen within this many seconds.
pub const ONLINE_WINDOW_SECS: u64 = 300;

#[derive(Debug, Clone, Serialize)]
pub struct Presence {
    pub is_online: bool,
    pub last_seen: Option<String>,
}

impl Presence {
    pub fn from_last_seen(last_seen: Option<String>) -> Presence {
        let online_since = time::ago_secs(ONLINE_WINDOW_SECS);
        Presence {
            is_online: last_seen
                .as_deref()
                .is_some_and(|seen| seen >= online_since.as_str()),
            last_seen,
        }
    }
}
