//! Webhook event names: Veza's, and the seeds' aliases of some of them.

/// The events a webhook may subscribe to, besides `*` (all of them).
pub const EVENTS: &[&str] = &[
    "message.created",
    "message.updated",
    "message.deleted",
    "member.joined",
    "member.left",
    "room.created",
    "room.updated",
    "room.deleted",
    "reaction.added",
    "user.created",
    "stream.started",
    "stream.ended",
];

/// The seeds' names, and the event each stands for.
const ALIASES: &[(&str, &str)] = &[
    ("message_sent", "message.created"),
    ("chat.message", "message.created"),
    ("user_joined", "member.joined"),
    ("user_left", "member.left"),
];

/// The event a subscribed name stands for (`*` for all); `None` if unknown.
pub fn canonical(name: &str) -> Option<&'static str> {
    if name == "*" {
        return Some("*");
    }
    EVENTS
        .iter()
        .copied()
        .find(|e| *e == name)
        .or_else(|| ALIASES.iter().find(|(a, _)| *a == name).map(|(_, e)| *e))
}

/// How a webhook subscribed to `event` spells it in its deliveries: the first name
/// of its list that stands for the event (`*` delivers Veza's name); `None` when it
/// is not subscribed.
pub fn spelling<'a>(subscribed: &'a [String], event: &'a str) -> Option<&'a str> {
    subscribed.iter().find_map(|name| match canonical(name) {
        Some("*") => Some(event),
        Some(e) if e == event => Some(name.as_str()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_deliver_under_the_name_subscribed() {
        let list = vec!["user_left".to_string(), "message_sent".to_string()];
        assert_eq!(spelling(&list, "message.created"), Some("message_sent"));
        assert_eq!(spelling(&list, "member.left"), Some("user_left"));
        assert_eq!(spelling(&list, "member.joined"), None);
        let all = vec!["*".to_string()];
        assert_eq!(spelling(&all, "room.deleted"), Some("room.deleted"));
        assert_eq!(canonical("chat.message"), Some("message.created"));
        assert_eq!(canonical("message.sent"), None);
    }
}
