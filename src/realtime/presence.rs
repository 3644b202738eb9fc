//! Presence: a user is online while they hold a connection. When their first
//! connection opens or their last closes, the database learns it (`last_seen` is
//! set on going offline) and everyone who shares a room or a conversation with
//! them and is connected gets a `presence` frame.

use std::sync::Arc;

use serde_json::json;

use crate::db::Db;
use crate::realtime::fanout::frame;
use crate::realtime::Hub;
use crate::store::{members, users};

/// Records and announces the user's presence as the hub has it now.
pub async fn changed(db: &Db, hub: &Arc<Hub>, user_id: i64) {
    // Read inside the writer, when the write runs: of two changes in quick
    // succession, the last one written is the hub's latest state.
    let writer_hub = Arc::clone(hub);
    let written = db
        .write(move |c| users::set_online(c, user_id, writer_hub.is_connected(user_id)))
        .await;
    if let Err(e) = written {
        log::warn!("presence of user {user_id} not recorded: {e:?}");
        return;
    }
    let hub = Arc::clone(hub);
    let announced = db
        .read(move |c| {
            let Some(user) = users::by_id(c, user_id)? else {
                return Ok(());
            };
            let data = json!({
                "user_id": user.id,
                "username": user.username,
                "is_online": user.presence.is_online,
                "last_seen": user.presence.last_seen,
            });
            hub.send(
                &members::contacts(c, user_id)?,
                &frame("presence", data, None),
                None,
            );
            Ok(())
        })
        .await;
    if let Err(e) = announced {
        log::warn!("presence of user {user_id} not announced: {e:?}");
    }
}
