//! Presence: a user is online while they hold a connection, on any node
//! (`presence_connections` says which nodes hold some). When their first
//! connection opens or their last closes, the journal records it (`last_seen` is
//! set on going offline) and announces it to whoever shares a room or a
//! conversation with them. Every opening connection also reads, in the order of
//! commits, where its user is: from then on the hub delivers by it.

use std::sync::Arc;

use crate::error::ApiError;
use crate::event::{Event, Places};
use crate::journal::Journal;
use crate::realtime::Hub;
use crate::sql::Connection;
use crate::store::{members, presence, users};

/// A connection of `user_id` has registered with the hub.
pub async fn connected(journal: &Journal, hub: &Arc<Hub>, user_id: i64) -> Result<(), ApiError> {
    let hub = Arc::clone(hub);
    let node = Arc::clone(journal.node());
    journal
        .write(None, move |c, events| {
            let places = places(c, user_id)?;
            events.push(Event::Connected {
                user_id,
                places: Arc::clone(&places),
            });
            record(c, events, &hub, &node, user_id, places)
        })
        .await
}

/// The last connection of `user_id` has closed.
pub async fn disconnected(journal: &Journal, hub: &Arc<Hub>, user_id: i64) {
    let hub = Arc::clone(hub);
    let node = Arc::clone(journal.node());
    let written = journal
        .write(None, move |c, events| {
            let places = places(c, user_id)?;
            record(c, events, &hub, &node, user_id, places)
        })
        .await;
    if let Err(e) = written {
        log::warn!("presence of user {user_id} not recorded: {e:?}");
    }
}

fn places(c: &Connection, user_id: i64) -> Result<Arc<Places>, ApiError> {
    let (rooms, conversations) = members::places_of(c, user_id)?;
    Ok(Arc::new(Places {
        rooms,
        conversations,
    }))
}

/// Records the presence the hub has now (read in the writer, when the write runs:
/// of two changes in quick succession, the last one written is the hub's latest
/// state), and announces it when it changed.
fn record(
    c: &Connection,
    events: &mut Vec<Event>,
    hub: &Hub,
    node: &str,
    user_id: i64,
    places: Arc<Places>,
) -> Result<(), ApiError> {
    // Read here, in the order of commits: the connection that asked may have
    // closed since, or another opened.
    let online = presence::hold(c, node, user_id, hub.is_connected(user_id))?;
    if users::set_online(c, user_id, online)? {
        events.push(Event::PresenceChanged {
            user_id,
            online,
            places,
        });
    }
    Ok(())
}
