//! `Container`: where a message lives, a room or a direct conversation.

use serde::{Deserialize, Serialize};

/// Where messages live: every message function takes it as a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Container {
    Room(i64),
    Conversation(i64),
}

impl Container {
    pub(crate) fn column(self) -> &'static str {
        match self {
            Container::Room(_) => "room_id",
            Container::Conversation(_) => "conversation_id",
        }
    }

    /// The table holding the container and its message counters.
    pub(crate) fn table(self) -> &'static str {
        match self {
            Container::Room(_) => "rooms",
            Container::Conversation(_) => "conversations",
        }
    }

    pub(crate) fn id(self) -> i64 {
        match self {
            Container::Room(id) | Container::Conversation(id) => id,
        }
    }

    pub fn room_id(self) -> Option<i64> {
        match self {
            Container::Room(id) => Some(id),
            Container::Conversation(_) => None,
        }
    }

    pub fn conversation_id(self) -> Option<i64> {
        match self {
            Container::Conversation(id) => Some(id),
            Container::Room(_) => None,
        }
    }

    /// The container's kind and id as an event or object field:
    /// `{"room_id": 5}` or `{"conversation_id": 7}`.
    pub fn serialize_into<M: serde::ser::SerializeMap>(self, map: &mut M) -> Result<(), M::Error> {
        map.serialize_entry(self.column(), &self.id())
    }

    /// The container of a message row, from its two nullable columns.
    pub(crate) fn of(room_id: Option<i64>, conversation_id: Option<i64>) -> Option<Container> {
        match (room_id, conversation_id) {
            (Some(room), None) => Some(Container::Room(room)),
            (None, Some(conversation)) => Some(Container::Conversation(conversation)),
            _ => None,
        }
    }
}

/// Read back from what `Serialize` writes (`{"room_id": 1}`), for the events
/// other nodes hear.
impl<'de> Deserialize<'de> for Container {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Place {
            room_id: Option<i64>,
            conversation_id: Option<i64>,
        }
        let place = Place::deserialize(d)?;
        Container::of(place.room_id, place.conversation_id)
            .ok_or_else(|| serde::de::Error::custom("one of room_id and conversation_id"))
    }
}

impl Serialize for Container {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(1))?;
        self.serialize_into(&mut map)?;
        map.end()
    }
}
