//! `@username` mentions in message text.

use crate::validate::{USERNAME_MAX, USERNAME_MIN};

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// The distinct usernames written as `@name`, in order of first appearance.
/// An `@` inside a word (an e-mail address) is not a mention, and trailing dots
/// are punctuation: "@jane." names `jane`.
pub fn usernames(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        let starts_mention = c == '@' && !prev.is_some_and(is_name_char);
        prev = Some(c);
        if !starts_mention {
            continue;
        }
        let rest = &text[i + 1..];
        let end = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
        let name = rest[..end].trim_end_matches('.');
        let len = name.len();
        if (USERNAME_MIN..=USERNAME_MAX).contains(&len)
            && !found.iter().any(|f| f.eq_ignore_ascii_case(name))
        {
            found.push(name.to_owned());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::usernames;

    #[test]
    fn finds_mentions() {
        assert_eq!(
            usernames("Voici un nouveau message avec @jane_smith mention"),
            ["jane_smith"]
        );
        assert_eq!(usernames("@bob, @alice and @BOB."), ["bob", "alice"]);
        assert_eq!(
            usernames("mail me at bob@example.com"),
            Vec::<String>::new()
        );
        assert_eq!(usernames("@ab is too short, @@x, @"), Vec::<String>::new());
        assert_eq!(usernames("(@carol) @dave-2: hi"), ["carol", "dave-2"]);
        assert_eq!(usernames("@émile @zoé"), Vec::<String>::new());
    }
}
