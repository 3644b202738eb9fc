//! What a push says: the JSON the service worker shows, with the message's text
//! stripped of formatting and cut so that the encrypted payload stays within the
//! 4,096 bytes every push service accepts.

use serde::Serialize;

use crate::push::encrypt::OVERHEAD;

/// The encrypted payload's limit (RFC 8030 services must accept 4,096 bytes).
pub const MAX_ENCRYPTED: usize = 4096;
/// So the plaintext JSON may be at most this long.
pub const MAX_PLAINTEXT: usize = MAX_ENCRYPTED - OVERHEAD;

/// Why someone is told: the notification's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reason {
    /// A direct message to them.
    Direct,
    /// `@username` names them.
    Mention,
    /// A reply in a thread they started.
    Reply,
    /// Anything else in a room they follow at level `all`.
    Message,
}

impl Reason {
    /// Direct messages, mentions and replies ask for the user; the rest can wait.
    pub fn urgency(self) -> &'static str {
        match self {
            Reason::Message => "normal",
            _ => "high",
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Notification {
    #[serde(rename = "type")]
    pub reason: Reason,
    pub title: String,
    pub body: String,
    /// The web client's page of the message.
    pub url: String,
    /// One notification per room or conversation: a newer one replaces it.
    pub tag: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<i64>,
    pub message_id: i64,
}

/// The tag of a room's or a conversation's notifications (also the `Topic`
/// header: at most 32 characters of the base64url alphabet).
pub fn tag(room_id: Option<i64>, conversation_id: Option<i64>) -> String {
    match (room_id, conversation_id) {
        (Some(room), _) => format!("room-{room}"),
        (None, Some(conversation)) => format!("dm-{conversation}"),
        (None, None) => "veza".into(),
    }
}

impl Notification {
    /// The JSON, the body shortened (on a character boundary, with `…`) until it
    /// fits in [`MAX_PLAINTEXT`] bytes.
    pub fn to_json(&mut self) -> String {
        let mut json = serde_json::to_string(self).unwrap_or_default();
        if json.len() <= MAX_PLAINTEXT {
            return json;
        }
        self.title = cut(&self.title, 200);
        let full: Vec<char> = self.body.chars().collect();
        let (mut keep, mut lo, mut hi) = (0, 0, full.len());
        // The longest prefix that fits: JSON escaping makes the size of a prefix
        // hard to predict, so search.
        while lo <= hi {
            let mid = (lo + hi) / 2;
            self.body = full[..mid].iter().collect::<String>() + "…";
            if serde_json::to_string(self).map_or(usize::MAX, |j| j.len()) <= MAX_PLAINTEXT {
                keep = mid;
                lo = mid + 1;
            } else if mid == 0 {
                break;
            } else {
                hi = mid - 1;
            }
        }
        self.body = full[..keep].iter().collect::<String>() + "…";
        json = serde_json::to_string(self).unwrap_or_default();
        json
    }
}

fn cut(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_owned();
    }
    text.chars().take(chars).collect::<String>() + "…"
}

/// A message's text as plain words: Markdown's marks removed (emphasis, code
/// fences and ticks, headings, quotes, list bullets), links shown by their text,
/// and runs of blank lines folded.
pub fn plain_text(markdown: &str) -> String {
    let mut lines = Vec::new();
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            continue;
        }
        let mut rest = trimmed;
        while let Some(stripped) = rest.strip_prefix('>') {
            rest = stripped.trim_start();
        }
        let rest = rest.trim_start_matches('#').trim_start();
        let rest = ["- ", "* ", "+ "]
            .iter()
            .find_map(|bullet| rest.strip_prefix(bullet))
            .unwrap_or(rest);
        lines.push(inline_plain(rest));
    }
    let mut text = String::new();
    let mut blank = false;
    for line in lines {
        let line = line.trim_end();
        if line.is_empty() {
            blank = !text.is_empty();
            continue;
        }
        if !text.is_empty() {
            text.push_str(if blank { "\n\n" } else { "\n" });
        }
        blank = false;
        text.push_str(line);
    }
    text
}

/// One line: `[text](url)` → text, `![alt](url)` → alt, and `*`, `_`, `~`, `` ` ``
/// marks dropped where they pair up as emphasis (a lone `*` stays).
fn inline_plain(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at_link = c == '[' || (c == '!' && chars.get(i + 1) == Some(&'['));
        if at_link {
            let open = if c == '!' { i + 1 } else { i };
            if let Some((label, end)) = link_at(&chars, open) {
                out.push_str(&inline_plain(&label));
                i = end;
                continue;
            }
        }
        if matches!(c, '*' | '_' | '~' | '`') {
            let run = chars[i..].iter().take_while(|&&d| d == c).count();
            let marker: String = std::iter::repeat_n(c, run).collect();
            let rest: String = chars[i + run..].iter().collect();
            let opens = chars.get(i + run).is_some_and(|n| !n.is_whitespace());
            if opens && (c != '_' || i == 0 || !chars[i - 1].is_alphanumeric()) {
                if let Some(close) = rest.find(&marker) {
                    let inner = &rest[..close];
                    if !inner.is_empty() {
                        out.push_str(&if c == '`' {
                            inner.to_owned()
                        } else {
                            inline_plain(inner)
                        });
                        i += run + inner.chars().count() + run;
                        continue;
                    }
                }
            }
            out.push_str(&marker);
            i += run;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// `[label](target)` starting at `chars[open]`: the label and the index after it.
fn link_at(chars: &[char], open: usize) -> Option<(String, usize)> {
    let close = open + 1 + chars[open + 1..].iter().position(|&c| c == ']')?;
    if chars.get(close + 1) != Some(&'(') {
        return None;
    }
    let end = close + 2 + chars[close + 2..].iter().position(|&c| c == ')')?;
    Some((chars[open + 1..close].iter().collect(), end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_is_stripped() {
        for (markdown, plain) in [
            ("**bold** and _it_ and `code`", "bold and it and code"),
            ("# Title\n> quoted *text*", "Title\nquoted text"),
            (
                "see [the docs](https://example.com) ![logo](x.png)",
                "see the docs logo",
            ),
            ("```rust\nlet x = 1;\n```", "let x = 1;"),
            ("- one\n- two\n\n\n\nend", "one\ntwo\n\nend"),
            ("2 * 3 = 6, snake_case_name", "2 * 3 = 6, snake_case_name"),
            ("~~gone~~ kept", "gone kept"),
        ] {
            assert_eq!(plain_text(markdown), plain, "{markdown:?}");
        }
    }

    #[test]
    fn long_bodies_are_cut_to_fit_the_encrypted_limit() {
        for body in ["a".repeat(10_000), "é\"".repeat(5_000), "😀".repeat(3_000)] {
            let mut n = Notification {
                reason: Reason::Mention,
                title: "alice in #general".into(),
                body: body.clone(),
                url: "/rooms/1?at=2".into(),
                tag: tag(Some(1), None),
                room_id: Some(1),
                conversation_id: None,
                message_id: 2,
            };
            let json = n.to_json();
            assert!(json.len() <= MAX_PLAINTEXT, "{}", json.len());
            assert!(
                json.len() > MAX_PLAINTEXT - 16,
                "cut too much: {}",
                json.len()
            );
            let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
            let shown = parsed["body"].as_str().unwrap();
            assert!(shown.ends_with('…') && body.starts_with(shown.trim_end_matches('…')));
        }
    }
}
