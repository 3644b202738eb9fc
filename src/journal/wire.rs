//! How other nodes hear a change: its events with their payloads, as JSON (a
//! row of `journal_events`, or a notification's payload for what is announced
//! and never written).

use serde::{Deserialize, Serialize};

use crate::event::{Committed, Event, Payload};

#[derive(Serialize)]
struct Outgoing<'a> {
    event: &'a Event,
    payload: &'a Option<Payload>,
}

#[derive(Deserialize)]
struct Incoming {
    event: Event,
    payload: Option<Payload>,
}

/// An announcement from one node to the others.
#[derive(Serialize, Deserialize)]
pub struct Announcement<N, T> {
    pub node: N,
    pub events: T,
}

/// Whether other nodes need to hear `event`: not what only concerns this node
/// (its own connections' places, its own workers' wake-ups).
pub fn travels(event: &Event) -> bool {
    !matches!(
        event,
        Event::Connected { .. } | Event::Queued(_) | Event::Resync
    )
}

/// The events of `changes` other nodes need, as JSON; `None` when there are none.
pub fn encode(changes: &[Committed]) -> Option<String> {
    let outgoing: Vec<Outgoing<'_>> = changes
        .iter()
        .filter(|c| travels(&c.event))
        .map(|c| Outgoing {
            event: &c.event,
            payload: &c.payload,
        })
        .collect();
    if outgoing.is_empty() {
        return None;
    }
    // Plain data with string keys: serialising it cannot fail.
    serde_json::to_string(&outgoing).ok()
}

/// The events of a change another node wrote.
pub fn decode(text: &str) -> Result<Vec<Committed>, serde_json::Error> {
    let incoming: Vec<Incoming> = serde_json::from_str(text)?;
    Ok(incoming
        .into_iter()
        .map(|i| Committed {
            event: i.event,
            payload: i.payload,
        })
        .collect())
}

/// An announcement of `node`'s, as a notification's payload.
pub fn announce(node: &str, changes: &[Committed]) -> Option<String> {
    let events = encode(changes)?;
    let raw = serde_json::value::RawValue::from_string(events).ok()?;
    serde_json::to_string(&Announcement { node, events: raw }).ok()
}

/// Another node's announcement: `None` when it is this node's own (or not one).
pub fn heard(me: &str, text: &str) -> Option<Vec<Committed>> {
    let announcement: Announcement<String, Box<serde_json::value::RawValue>> =
        serde_json::from_str(text).ok()?;
    if announcement.node == me {
        return None;
    }
    decode(announcement.events.get()).ok()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::event::{Container, EndedSessions, Places};

    #[test]
    fn events_come_back_as_they_left() {
        let changes = vec![
            Committed {
                event: Event::MemberJoined {
                    room_id: 3,
                    user_id: 4,
                    actor_id: 4,
                    role: "member".into(),
                },
                payload: Some(Arc::from("{\"room_id\":3}")),
            },
            Committed {
                event: Event::Typing {
                    container: Container::Conversation(9),
                    user_id: 1,
                    username: "zoé".into(),
                },
                payload: None,
            },
            Committed {
                event: Event::SessionsEnded(EndedSessions::AllOf {
                    user_id: 4,
                    keep: None,
                }),
                payload: None,
            },
            Committed {
                event: Event::Connected {
                    user_id: 4,
                    places: Arc::new(Places::default()),
                },
                payload: None,
            },
        ];
        let text = encode(&changes).unwrap();
        let back = decode(&text).unwrap();
        assert_eq!(back.len(), 3, "a connection's places stay on its node");
        assert!(matches!(
            back[0].event,
            Event::MemberJoined {
                room_id: 3,
                user_id: 4,
                ..
            }
        ));
        assert_eq!(back[0].payload.as_deref(), Some("{\"room_id\":3}"));
        assert_eq!(back[0].frame(), changes[0].frame());
        assert!(matches!(
            &back[1].event,
            Event::Typing { container: Container::Conversation(9), username, .. } if username == "zoé"
        ));
        let note = announce("n1", &changes[1..2]).unwrap();
        assert!(heard("n1", &note).is_none(), "a node does not hear itself");
        assert_eq!(heard("n2", &note).unwrap().len(), 1);
        assert!(heard("n2", "not json").is_none());
        assert!(encode(&changes[3..]).is_none());
    }
}
