//! Text as HTML shows it literally (mail bodies, search highlights). A leaf.

/// The entity `c` is written as in HTML text and attributes, if it needs one.
pub fn entity(c: char) -> Option<&'static str> {
    match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '"' => Some("&quot;"),
        '\'' => Some("&#39;"),
        _ => None,
    }
}

/// Appends `c` to `out`, escaped.
pub fn push_escaped(out: &mut String, c: char) {
    match entity(c) {
        Some(entity) => out.push_str(entity),
        None => out.push(c),
    }
}

/// `text`, escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    text.chars().for_each(|c| push_escaped(&mut out, c));
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn markup_is_shown_not_run() {
        assert_eq!(
            super::escape(r#"<a href="x">Tom & 'Jerry'</a> é"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt; é"
        );
    }
}
