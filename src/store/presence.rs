//! Whether a user is online, as every object naming a user shows it: online while
//! they hold at least one real-time connection; `last_seen` their last activity
//! (a request, or the close of their last connection).

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Presence {
    pub is_online: bool,
    pub last_seen: Option<String>,
}

impl Presence {
    pub fn new(is_online: bool, last_seen: Option<String>) -> Presence {
        Presence {
            is_online,
            last_seen,
        }
    }
}
