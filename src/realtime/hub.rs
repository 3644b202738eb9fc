//! The open WebSocket connections, by user. Each connection has a bounded queue of
//! frames: a frame that does not fit (the client is not reading) marks the
//! connection to be dropped instead of growing the server's memory.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, Notify};

use crate::event::{Audience, Committed, Container, EndedSessions, Event, Subscriber};

/// Frames waiting for one connection before it counts as not reading.
pub const QUEUE_FRAMES: usize = 256;
/// Connections one user may hold at once (tabs, phones, bots): enough for anyone,
/// and too few for one account to take every connection of its address.
pub const MAX_PER_USER: usize = 16;

/// A frame, serialised once and shared by every connection it goes to.
pub type Frame = Arc<str>;

struct Slot {
    id: u64,
    session_id: i64,
    frames: mpsc::Sender<Frame>,
    overflowed: Arc<Notify>,
    ended: Arc<Notify>,
    /// When the connection last said its page was in view (`presence.visible`);
    /// `None` once it said it was not.
    visible_at: Option<std::time::Instant>,
}

/// A connection's end of the hub.
pub struct Registration {
    pub id: u64,
    pub frames: mpsc::Receiver<Frame>,
    /// Rung when a frame did not fit in the queue.
    pub overflowed: Arc<Notify>,
    /// Rung when the session that opened the connection ends.
    pub ended: Arc<Notify>,
    /// The user had no other connection.
    pub first: bool,
}

/// The user already holds [`MAX_PER_USER`] connections.
#[derive(Debug)]
pub struct TooMany;

/// A connected user: their connections, and where they are (loaded by
/// `Event::Connected`, then kept by member events).
#[derive(Default)]
struct User {
    slots: Vec<Slot>,
    rooms: HashSet<i64>,
    conversations: HashSet<i64>,
}

/// The connected users, and for each room and conversation which of them are in
/// it: frames go out without reading the database.
#[derive(Default)]
struct State {
    users: HashMap<i64, User>,
    rooms: HashMap<i64, HashSet<i64>>,
    conversations: HashMap<i64, HashSet<i64>>,
}

#[derive(Default)]
pub struct Hub {
    state: Mutex<State>,
    next_id: AtomicU64,
}

/// Adds or removes `user_id` under `place` of a reverse index.
fn index(map: &mut HashMap<i64, HashSet<i64>>, place: i64, user_id: i64, present: bool) {
    if present {
        map.entry(place).or_default().insert(user_id);
    } else if let Some(users) = map.get_mut(&place) {
        users.remove(&user_id);
        if users.is_empty() {
            map.remove(&place);
        }
    }
}

impl State {
    /// Records whether a connected `user_id` is in `place` (nothing for others).
    fn set_in(&mut self, place: Container, user_id: i64, present: bool) {
        let Some(user) = self.users.get_mut(&user_id) else {
            return;
        };
        match place {
            Container::Room(id) => {
                if present {
                    user.rooms.insert(id);
                } else {
                    user.rooms.remove(&id);
                }
                index(&mut self.rooms, id, user_id, present);
            }
            Container::Conversation(id) => {
                if present {
                    user.conversations.insert(id);
                } else {
                    user.conversations.remove(&id);
                }
                index(&mut self.conversations, id, user_id, present);
            }
        }
    }

    /// Forgets where `user_id` is, in both directions.
    fn clear_places(&mut self, user_id: i64) {
        let Some(user) = self.users.get_mut(&user_id) else {
            return;
        };
        let rooms: Vec<i64> = user.rooms.drain().collect();
        let conversations: Vec<i64> = user.conversations.drain().collect();
        for room in rooms {
            index(&mut self.rooms, room, user_id, false);
        }
        for conversation in conversations {
            index(&mut self.conversations, conversation, user_id, false);
        }
    }

    fn in_place(&self, place: Container) -> Option<&HashSet<i64>> {
        match place {
            Container::Room(id) => self.rooms.get(&id),
            Container::Conversation(id) => self.conversations.get(&id),
        }
    }

    /// The connections of `user_id` (none when not connected).
    fn slots(&self, user_id: i64) -> &[Slot] {
        self.users.get(&user_id).map_or(&[], |u| &u.slots)
    }

    /// Queues `frame` for every connection of `user_id`.
    fn send_to(&self, user_id: i64, frame: &Frame) {
        for slot in self.slots(user_id) {
            if let Err(mpsc::error::TrySendError::Full(_)) = slot.frames.try_send(frame.clone()) {
                slot.overflowed.notify_one();
            }
        }
    }

    /// Whether anyone connected may be in `audience` (cheap, may say yes wrongly).
    fn reaches_anyone(&self, audience: Audience<'_>) -> bool {
        let someone_in = |place| self.in_place(place).is_some_and(|users| !users.is_empty());
        match audience {
            Audience::Nobody => false,
            Audience::Place(place) | Audience::PlaceExcept(place, _) => someone_in(place),
            Audience::PlaceAnd(place, also) => someone_in(place) || self.users.contains_key(&also),
            Audience::Users(_) | Audience::ContactsOf(..) | Audience::Everyone => {
                !self.users.is_empty()
            }
        }
    }

    /// Queues `frame` for the connected users of `audience`.
    fn deliver(&self, audience: Audience<'_>, frame: &Frame) {
        let place_users = |place| self.in_place(place).into_iter().flatten();
        match audience {
            Audience::Nobody => {}
            Audience::Place(place) => place_users(place).for_each(|u| self.send_to(*u, frame)),
            Audience::PlaceAnd(place, also) => {
                place_users(place)
                    .filter(|u| **u != also)
                    .for_each(|u| self.send_to(*u, frame));
                self.send_to(also, frame);
            }
            Audience::PlaceExcept(place, except) => place_users(place)
                .filter(|u| **u != except)
                .for_each(|u| self.send_to(*u, frame)),
            Audience::Users(users) => users.iter().for_each(|u| self.send_to(*u, frame)),
            Audience::ContactsOf(user_id, places) => {
                let rooms = places.rooms.iter().map(|id| Container::Room(*id));
                let conversations = places
                    .conversations
                    .iter()
                    .map(|id| Container::Conversation(*id));
                let contacts: HashSet<i64> = rooms
                    .chain(conversations)
                    .flat_map(place_users)
                    .copied()
                    .filter(|u| *u != user_id)
                    .collect();
                contacts.iter().for_each(|u| self.send_to(*u, frame));
            }
            Audience::Everyone => self.users.keys().for_each(|u| self.send_to(*u, frame)),
        }
    }
}

impl Hub {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind: carry on.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a connection of `user_id` opened by `session_id`, unless the user
    /// holds [`MAX_PER_USER`] already. It hears nothing of rooms and conversations
    /// until an `Event::Connected` of its user is committed.
    pub fn connect(&self, user_id: i64, session_id: i64) -> Result<Registration, TooMany> {
        let (tx, rx) = mpsc::channel(QUEUE_FRAMES);
        let overflowed = Arc::new(Notify::new());
        let ended = Arc::new(Notify::new());
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut state = self.state();
        let user = state.users.entry(user_id).or_default();
        if user.slots.len() >= MAX_PER_USER {
            return Err(TooMany);
        }
        let first = user.slots.is_empty();
        user.slots.push(Slot {
            id,
            session_id,
            frames: tx,
            overflowed: overflowed.clone(),
            ended: ended.clone(),
            visible_at: None,
        });
        Ok(Registration {
            id,
            frames: rx,
            overflowed,
            ended,
            first,
        })
    }

    /// Whether `user_id` may open one more connection now.
    pub fn has_room_for(&self, user_id: i64) -> bool {
        self.state()
            .users
            .get(&user_id)
            .is_none_or(|user| user.slots.len() < MAX_PER_USER)
    }

    /// Forgets a connection; true when it was the user's last.
    pub fn disconnect(&self, user_id: i64, id: u64) -> bool {
        let mut state = self.state();
        let Some(user) = state.users.get_mut(&user_id) else {
            return false;
        };
        user.slots.retain(|s| s.id != id);
        if !user.slots.is_empty() {
            return false;
        }
        state.clear_places(user_id);
        state.users.remove(&user_id);
        true
    }

    /// Records what connection `id` of `user_id` said: its page is in view, or not.
    pub fn set_visible(&self, user_id: i64, id: u64, visible: bool) {
        let mut state = self.state();
        let slot = state
            .users
            .get_mut(&user_id)
            .and_then(|user| user.slots.iter_mut().find(|s| s.id == id));
        if let Some(slot) = slot {
            slot.visible_at = visible.then(std::time::Instant::now);
        }
    }

    /// Whether a connection of `user_id` said within `window` that its page is in
    /// view (and has not said otherwise since): they are reading.
    pub fn is_reading(&self, user_id: i64, window: std::time::Duration) -> bool {
        self.state()
            .slots(user_id)
            .iter()
            .any(|slot| slot.visible_at.is_some_and(|at| at.elapsed() <= window))
    }

    pub fn is_connected(&self, user_id: i64) -> bool {
        self.state().users.contains_key(&user_id)
    }

    /// Connections open now, all users together.
    pub fn connection_count(&self) -> usize {
        self.state().users.values().map(|u| u.slots.len()).sum()
    }

    /// Keeps the index of places, and delivers the frame, of one event.
    fn apply(&self, state: &mut State, committed: &Committed) {
        use Event::*;
        match &committed.event {
            Connected { user_id, places } => {
                state.clear_places(*user_id);
                for room in &places.rooms {
                    state.set_in(Container::Room(*room), *user_id, true);
                }
                for conversation in &places.conversations {
                    state.set_in(Container::Conversation(*conversation), *user_id, true);
                }
            }
            MemberJoined {
                room_id, user_id, ..
            } => state.set_in(Container::Room(*room_id), *user_id, true),
            // A room's creator is its owner, a member from the start (creating a
            // room announces no join).
            RoomCreated { room_id, actor_id } => {
                state.set_in(Container::Room(*room_id), *actor_id, true)
            }
            ConversationOpened {
                conversation_id,
                participants,
            } => {
                for user_id in participants {
                    state.set_in(Container::Conversation(*conversation_id), *user_id, true);
                }
            }
            SessionsEnded(EndedSessions::One(session_id)) => end_session_in(state, *session_id),
            SessionsEnded(EndedSessions::AllOf { user_id, keep }) => {
                end_user_in(state, *user_id, *keep)
            }
            // Frames may have been missed, as when a queue overflows: the
            // connections end the same way, and their clients catch up.
            Resync => state
                .users
                .values()
                .flat_map(|user| &user.slots)
                .for_each(|slot| slot.overflowed.notify_one()),
            _ => {}
        }
        // Joins take effect before their frame (the new member hears it), leaves
        // after it (the one who left hears it too). The frame is built only for
        // an event someone connected may hear.
        let audience = committed.event.spec().audience;
        if state.reaches_anyone(audience) {
            if let Some(frame) = committed.frame() {
                state.deliver(audience, &frame);
            }
        }
        match &committed.event {
            MemberLeft {
                room_id, user_id, ..
            } => state.set_in(Container::Room(*room_id), *user_id, false),
            RoomDeleted {
                room_id,
                member_ids,
                ..
            } => {
                for user_id in member_ids {
                    state.set_in(Container::Room(*room_id), *user_id, false);
                }
            }
            _ => {}
        }
    }
}

/// Closes the connections opened by `session_id` (it has ended).
fn end_session_in(state: &State, session_id: i64) {
    for user in state.users.values() {
        for slot in user.slots.iter().filter(|s| s.session_id == session_id) {
            slot.ended.notify_one();
        }
    }
}

/// Closes every connection of `user_id` but those of session `keep`.
fn end_user_in(state: &State, user_id: i64, keep: Option<i64>) {
    for slot in state.slots(user_id) {
        if Some(slot.session_id) != keep {
            slot.ended.notify_one();
        }
    }
}

/// The hub follows the journal: it keeps who is where, and queues each frame
/// (built once) for each connection of its audience. Queues are bounded and never
/// waited on, so a connection that does not read delays nobody else.
impl Subscriber for Hub {
    fn committed(&self, events: &[Committed]) {
        let mut state = self.state();
        for committed in events {
            self.apply(&mut state, committed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typing(room_id: i64, user_id: i64) -> Committed {
        Committed {
            event: Event::Typing {
                container: Container::Room(room_id),
                user_id,
                username: "someone".into(),
            },
            payload: Some(Arc::from("{}")),
        }
    }

    fn connected(user_id: i64, rooms: &[i64]) -> Committed {
        Committed {
            event: Event::Connected {
                user_id,
                places: Arc::new(crate::event::Places {
                    rooms: rooms.to_vec(),
                    conversations: vec![],
                }),
            },
            payload: None,
        }
    }

    #[test]
    fn a_connection_that_does_not_read_is_marked_not_grown() {
        let hub = Hub::default();
        let slow = hub.connect(1, 10).unwrap();
        assert!(slow.first);
        let second = hub.connect(1, 11).unwrap();
        assert!(!second.first);
        hub.committed(&[connected(1, &[5])]);
        for _ in 0..QUEUE_FRAMES {
            hub.committed(&[typing(5, 2)]);
        }
        assert_eq!(slow.frames.len(), QUEUE_FRAMES);
        hub.committed(&[typing(5, 2)]);
        assert_eq!(slow.frames.len(), QUEUE_FRAMES, "the queue does not grow");
        assert!(!hub.disconnect(1, slow.id));
        assert!(hub.disconnect(1, second.id));
        assert_eq!(hub.connection_count(), 0);
        let state = hub.state();
        assert!(
            state.rooms.is_empty(),
            "the index goes with the last connection"
        );
    }

    #[test]
    fn frames_follow_membership_as_the_journal_tells_it() {
        let hub = Hub::default();
        let mut one = hub.connect(1, 10).unwrap();
        let mut two = hub.connect(2, 20).unwrap();
        hub.committed(&[typing(5, 3)]);
        assert!(one.frames.try_recv().is_err(), "not loaded yet: nothing");
        hub.committed(&[connected(1, &[5]), connected(2, &[])]);
        hub.committed(&[typing(5, 3)]);
        assert!(one.frames.try_recv().is_ok());
        assert!(two.frames.try_recv().is_err(), "not a member");
        let joined = Committed {
            event: Event::MemberJoined {
                room_id: 5,
                user_id: 2,
                actor_id: 2,
                role: "member".into(),
            },
            payload: Some(Arc::from("{}")),
        };
        hub.committed(&[joined]);
        assert!(one.frames.try_recv().is_ok(), "members hear a join");
        assert!(two.frames.try_recv().is_ok(), "the new member too");
        let left = Committed {
            event: Event::MemberLeft {
                room_id: 5,
                user_id: 1,
                actor_id: 2,
            },
            payload: Some(Arc::from("{}")),
        };
        hub.committed(&[left]);
        assert!(one.frames.try_recv().is_ok(), "the one removed hears it");
        assert!(two.frames.try_recv().is_ok());
        hub.committed(&[typing(5, 3)]);
        assert!(one.frames.try_recv().is_err(), "removed: nothing more");
        assert!(two.frames.try_recv().is_ok());
    }

    #[test]
    fn sessions_end_their_own_connections_only() {
        let hub = Hub::default();
        let a = hub.connect(1, 10).unwrap();
        let b = hub.connect(1, 11).unwrap();
        let other = hub.connect(2, 12).unwrap();
        // `notify_one` with nobody waiting stores a permit the next wait takes at once.
        let rung = |n: &Arc<Notify>| {
            use rocket::futures::FutureExt;
            n.notified().now_or_never().is_some()
        };
        let ended = |which| Committed {
            event: Event::SessionsEnded(which),
            payload: None,
        };
        hub.committed(&[ended(EndedSessions::One(10))]);
        assert!(rung(&a.ended) && !rung(&b.ended) && !rung(&other.ended));
        hub.committed(&[ended(EndedSessions::AllOf {
            user_id: 1,
            keep: Some(11),
        })]);
        assert!(!rung(&b.ended), "the kept session stays");
        hub.committed(&[ended(EndedSessions::AllOf {
            user_id: 1,
            keep: None,
        })]);
        assert!(rung(&b.ended) && !rung(&other.ended));
    }

    #[test]
    fn one_user_holds_a_bounded_number_of_connections() {
        let hub = Hub::default();
        let held: Vec<_> = (0..MAX_PER_USER)
            .map(|_| hub.connect(1, 1).unwrap())
            .collect();
        assert!(!hub.has_room_for(1));
        assert!(hub.connect(1, 1).is_err());
        assert!(hub.connect(2, 2).is_ok(), "others are not affected");
        assert!(!hub.disconnect(1, held[0].id));
        assert!(hub.has_room_for(1));
    }
}
