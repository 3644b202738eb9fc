//! Slack's markup ("mrkdwn") as Veza's Markdown: `<@U…>` mentions as
//! `@username`, `<#C…|name>` as `#name`, `<url|label>` as links, `*bold*`,
//! `_italic_` and `~strike~` as Markdown, and Slack's three escaped entities.
//! Code (fenced or inline) is left exactly as written.

/// Converts `text`; `user` names a Slack user id as Veza knows them, `room` a
/// channel id.
pub fn slack_to_markdown(
    text: &str,
    user: &dyn Fn(&str) -> Option<String>,
    room: &dyn Fn(&str) -> Option<String>,
) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    // Outside code: even-numbered pieces between fences and backticks.
    for (i, piece) in split_code(text).into_iter().enumerate() {
        if i % 2 == 1 {
            out.push_str(&unescape(piece));
        } else {
            out.push_str(&emphasis(&links(piece, user, room)));
        }
    }
    out
}

/// The text cut at code: ```fences``` and `inline`, the code pieces (with
/// their backticks) at odd positions.
fn split_code(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut rest = text;
    loop {
        let Some(start) = rest.find('`') else {
            pieces.push(rest);
            break;
        };
        let fence = rest[start..].starts_with("```");
        let marker = if fence { "```" } else { "`" };
        let after = start + marker.len();
        let Some(len) = rest[after..].find(marker) else {
            pieces.push(rest);
            break;
        };
        let end = after + len + marker.len();
        pieces.push(&rest[..start]);
        pieces.push(&rest[start..end]);
        rest = &rest[end..];
    }
    pieces
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn links(
    text: &str,
    user: &dyn Fn(&str) -> Option<String>,
    room: &dyn Fn(&str) -> Option<String>,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        out.push_str(&unescape(&rest[..open]));
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else {
            out.push_str(&unescape(&rest[open..]));
            rest = "";
            break;
        };
        let inner = &after[..close];
        let (target, label) = match inner.split_once('|') {
            Some((t, l)) => (t, Some(l)),
            None => (inner, None),
        };
        if let Some(id) = target.strip_prefix('@') {
            let name = user(id)
                .or_else(|| label.map(str::to_owned))
                .unwrap_or_else(|| id.to_owned());
            out.push('@');
            out.push_str(name.trim_start_matches('@'));
        } else if let Some(id) = target.strip_prefix('#') {
            let name = room(id)
                .or_else(|| label.map(str::to_owned))
                .unwrap_or_else(|| id.to_owned());
            out.push('#');
            out.push_str(&name);
        } else if let Some(special) = target.strip_prefix('!') {
            let word = label.unwrap_or(special.split('^').next().unwrap_or(special));
            out.push('@');
            out.push_str(word.trim_start_matches('@'));
        } else if target.starts_with("http://")
            || target.starts_with("https://")
            || target.starts_with("mailto:")
        {
            let target = unescape(target);
            match label {
                Some(label) => out.push_str(&format!("[{}]({target})", unescape(label))),
                None => out.push_str(&target),
            }
        } else {
            out.push_str(&unescape(&rest[open..open + 1 + close + 1]));
        }
        rest = &after[close + 1..];
    }
    out.push_str(&unescape(rest));
    out
}

/// Slack's `*bold*`, `_italic_`, `~strike~` as Markdown's `**bold**`,
/// `*italic*`, `~~strike~~`: a marker opens after a space or punctuation (or at
/// the start) before a non-space, and closes before a space or punctuation.
fn emphasis(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if matches!(c, '*' | '_' | '~') {
            let opens = (i == 0 || !chars[i - 1].is_alphanumeric())
                && chars
                    .get(i + 1)
                    .is_some_and(|n| !n.is_whitespace() && *n != c);
            if opens {
                if let Some(len) = closing(&chars[i + 1..], c) {
                    let inner: String = chars[i + 1..i + 1 + len].iter().collect();
                    let marker = match c {
                        '*' => "**",
                        '_' => "*",
                        _ => "~~",
                    };
                    out.push_str(marker);
                    out.push_str(&inner);
                    out.push_str(marker);
                    i += len + 2;
                    continue;
                }
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// The length of the emphasised text up to its closing `marker` on the same
/// line, if it closes.
fn closing(rest: &[char], marker: char) -> Option<usize> {
    for (j, &c) in rest.iter().enumerate() {
        if c == '\n' {
            return None;
        }
        if c == marker && j > 0 && !rest[j - 1].is_whitespace() {
            let after = rest.get(j + 1);
            if after.is_none_or(|a| !a.is_alphanumeric()) {
                return Some(j);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(text: &str) -> String {
        let user = |id: &str| (id == "U1").then(|| "ann".to_owned());
        let room = |id: &str| (id == "C1").then(|| "general".to_owned());
        slack_to_markdown(text, &user, &room)
    }

    #[test]
    fn mentions_channels_and_links() {
        assert_eq!(
            convert("hi <@U1>, see <#C1|old-name>"),
            "hi @ann, see #general"
        );
        assert_eq!(
            convert("<@U9|bob> <!here> <!subteam^S1|@devs>"),
            "@bob @here @devs"
        );
        assert_eq!(
            convert("<https://example.com/a?b=1&amp;c=2|the docs> and <https://x.example>"),
            "[the docs](https://example.com/a?b=1&c=2) and https://x.example"
        );
        assert_eq!(convert("1 &lt; 2 &amp;&amp; 3 &gt; 2"), "1 < 2 && 3 > 2");
    }

    #[test]
    fn emphasis_becomes_markdown_and_code_is_untouched() {
        assert_eq!(convert("*bold* _it_ ~gone~"), "**bold** *it* ~~gone~~");
        assert_eq!(
            convert("a*b*c 2 * 3 * 4 snake_case_name"),
            "a*b*c 2 * 3 * 4 snake_case_name"
        );
        assert_eq!(
            convert("`*not bold*` and ```\n*x* <@U1>\n```"),
            "`*not bold*` and ```\n*x* <@U1>\n```"
        );
        assert_eq!(convert("*open"), "*open");
    }
}
