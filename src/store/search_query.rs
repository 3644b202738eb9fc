//! The search language: what the user types (words, `"phrases"`, `prefix*`) as
//! FTS5's query on SQLite and as a `tsquery` on PostgreSQL, and the highlights of a
//! hit. No character of the user's text ever reaches either as syntax.

/// Marks FTS5's `highlight()` puts around matches; message text cannot hold them
/// (control characters are refused in messages).
const MARK_START: char = '\u{1}';
const MARK_END: char = '\u{2}';

/// A term of the user's query.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    Word(String),
    Prefix(String),
    Phrase(String),
}

/// Whether `text` holds anything the tokenizer indexes (a letter or a digit).
fn indexable(text: &str) -> bool {
    text.chars().any(char::is_alphanumeric)
}

/// The user's query as terms: `"quoted phrases"` (an unclosed quote runs to the
/// end), `prefix*`, and words; pieces with nothing indexable are dropped.
fn terms(q: &str) -> Vec<Term> {
    let mut out = Vec::new();
    let mut rest = q;
    while let Some(start) = rest.find(|c: char| !c.is_whitespace()) {
        rest = &rest[start..];
        if let Some(after) = rest.strip_prefix('"') {
            let end = after.find('"').unwrap_or(after.len());
            let phrase = after[..end].trim();
            if indexable(phrase) {
                out.push(Term::Phrase(phrase.to_owned()));
            }
            rest = after.get(end + 1..).unwrap_or("");
            continue;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '"')
            .unwrap_or(rest.len());
        let word = &rest[..end];
        rest = &rest[end..];
        match word.strip_suffix('*') {
            Some(stem) if indexable(stem) && !stem.ends_with('*') => {
                out.push(Term::Prefix(stem.to_owned()))
            }
            _ if indexable(word) => out.push(Term::Word(word.trim_matches('*').to_owned())),
            _ => {}
        }
    }
    out
}

/// `text` as an FTS5 string: in double quotes, inner quotes doubled. Inside one,
/// no character is syntax, except NUL, which ends FTS5's reading of the query
/// ("unterminated string"); control characters are dropped (no message holds
/// them, so they could match nothing).
fn quoted(text: &str) -> String {
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    format!("\"{}\"", clean.replace('"', "\"\""))
}

/// The most terms a query may hold once repeats are dropped...
pub const MAX_TERMS: usize = 16;
/// ...and the most `prefix*` terms among them: each expands to every indexed word
/// that starts so, and a few short ones make FTS5 read most of the index.
pub const MAX_PREFIXES: usize = 3;

/// Why a query cannot be searched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryRefused {
    TooManyTerms,
    TooManyPrefixes,
}

/// The FTS5 query for the user's `q`: every term must match; a term given twice
/// (in any case) counts once. `Ok(None)` when nothing in `q` can match (only
/// punctuation, say).
pub fn fts_query(q: &str) -> Result<Option<String>, QueryRefused> {
    let mut seen = std::collections::HashSet::new();
    let terms: Vec<Term> = terms(q)
        .into_iter()
        .filter(|term| {
            let key = match term {
                Term::Word(w) => format!("w{}", w.to_lowercase()),
                Term::Phrase(p) => format!("w{}", p.to_lowercase()),
                Term::Prefix(p) => format!("p{}", p.to_lowercase()),
            };
            seen.insert(key)
        })
        .collect();
    if terms.len() > MAX_TERMS {
        return Err(QueryRefused::TooManyTerms);
    }
    if terms
        .iter()
        .filter(|t| matches!(t, Term::Prefix(_)))
        .count()
        > MAX_PREFIXES
    {
        return Err(QueryRefused::TooManyPrefixes);
    }
    let parts: Vec<String> = terms
        .into_iter()
        .map(|term| match term {
            Term::Word(w) | Term::Phrase(w) => quoted(&w),
            Term::Prefix(p) => format!("{}*", quoted(&p)),
        })
        .collect();
    Ok((!parts.is_empty()).then(|| parts.join(" ")))
}

/// `content` with its `highlight()` marks as HTML: everything escaped, matches in
/// `<mark>…</mark>`.
pub(crate) fn highlight_html(marked: &str) -> String {
    let mut out = String::with_capacity(marked.len() + 32);
    for c in marked.chars() {
        match c {
            MARK_START => out.push_str("<mark>"),
            MARK_END => out.push_str("</mark>"),
            c => crate::html::push_escaped(&mut out, c),
        }
    }
    out
}

/// [`fts_query`]'s text as a PostgreSQL `tsquery` for the `veza` configuration:
/// each quoted term a phrase of its words (`'big' <-> 'cat'`), a prefix term's
/// last word with `:*`, all terms joined by `&`. Words are runs of letters and
/// digits, as FTS5's tokenizer and the `search_vector` column cut them, so no
/// character of the user's text is tsquery syntax.
pub fn tsquery_of_fts(fts: &str) -> String {
    let mut terms = Vec::new();
    let mut rest = fts;
    while let Some(start) = rest.find('"') {
        let mut text = String::new();
        let mut chars = rest[start + 1..].char_indices();
        let mut end = rest.len() - start - 1;
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                if rest[start + 1 + i + 1..].starts_with('"') {
                    text.push('"');
                    chars.next();
                    continue;
                }
                end = i + 1;
                break;
            }
            text.push(c);
        }
        rest = &rest[start + 1 + end..];
        let prefix = rest.starts_with('*');
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| format!("'{w}'"))
            .collect();
        if let Some(last) = words.len().checked_sub(1) {
            let mut phrase = words.join(" <-> ");
            if prefix {
                phrase.push_str(":*");
            }
            terms.push(if last > 0 {
                format!("({phrase})")
            } else {
                phrase
            });
        }
    }
    terms.join(" & ")
}

/// A word as the search compares it: lower case, without diacritics.
fn folded(word: &str) -> String {
    use unicode_normalization::char::is_combining_mark;
    use unicode_normalization::UnicodeNormalization;
    word.nfd()
        .filter(|c| !is_combining_mark(*c))
        .collect::<String>()
        .to_lowercase()
}

/// `text` with FTS5's marks around each word that one of the query's words is
/// (or, for a `prefix*` term, starts its last word): what `highlight()` gives on
/// SQLite, word by word (a phrase's words are marked wherever they stand).
pub fn mark_terms(text: &str, fts: &str) -> String {
    let mut words = Vec::new();
    let mut prefixes = Vec::new();
    for term in tsquery_of_fts(fts).split(" & ") {
        let term = term.trim_matches(|c| c == '(' || c == ')');
        for part in term.split(" <-> ") {
            match part.strip_suffix(":*") {
                Some(stem) => prefixes.push(folded(stem.trim_matches('\''))),
                None => words.push(folded(part.trim_matches('\''))),
            }
        }
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while !rest.is_empty() {
        let start = rest.find(char::is_alphanumeric).unwrap_or(rest.len());
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest
            .find(|c: char| !c.is_alphanumeric())
            .unwrap_or(rest.len());
        let word = &rest[..end];
        let key = folded(word);
        if words.contains(&key) || prefixes.iter().any(|p| key.starts_with(p.as_str())) {
            out.push(MARK_START);
            out.push_str(word);
            out.push(MARK_END);
        } else {
            out.push_str(word);
        }
        rest = &rest[end..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_text_becomes_a_tsquery() {
        let ts = |q: &str| tsquery_of_fts(&fts_query(q).unwrap().unwrap());
        assert_eq!(ts("hello world"), "'hello' & 'world'");
        assert_eq!(ts(r#""big cat" dog*"#), "('big' <-> 'cat') & 'dog':*");
        assert_eq!(
            ts(r#"say "it's" a"b"#),
            "'say' & ('it' <-> 's') & 'a' & 'b'"
        );
        assert_eq!(ts("café-au-lait*"), "('café' <-> 'au' <-> 'lait':*)");
        assert_eq!(
            ts("'; DROP TABLE messages; --"),
            "'DROP' & 'TABLE' & 'messages'"
        );
        assert_eq!(ts(r#""x""y""#), "'x' & 'y'");
        assert_eq!(tsquery_of_fts(r#""it""s" "x"*"#), "('it' <-> 's') & 'x':*");
    }

    #[test]
    fn user_text_becomes_quoted_terms() {
        let fts_query = |q: &str| super::fts_query(q).unwrap();
        assert_eq!(fts_query("hello world").unwrap(), r#""hello" "world""#);
        assert_eq!(
            fts_query(r#""big cat" dog*"#).unwrap(),
            r#""big cat" "dog"*"#
        );
        assert_eq!(
            fts_query(r#"say "unclosed phrase"#).unwrap(),
            r#""say" "unclosed phrase""#
        );
        assert_eq!(fts_query(r#"a"b"#).unwrap(), r#""a" "b""#);
        assert_eq!(
            fts_query("NEAR(a b) AND OR NOT").unwrap(),
            r#""NEAR(a" "b)" "AND" "OR" "NOT""#
        );
        assert_eq!(
            fts_query("'; DROP TABLE messages; --").unwrap(),
            r#""DROP" "TABLE" "messages;""#
        );
        assert_eq!(fts_query("**x** y**").unwrap(), r#""x" "y""#);
        for nothing in ["", "   ", "\"", "*", "\"\"", "-- ;", "***", "\" \""] {
            assert_eq!(fts_query(nothing), None, "{nothing:?}");
        }
    }

    #[test]
    fn repeated_terms_count_once_and_broad_queries_are_refused() {
        assert_eq!(fts_query(&"a* ".repeat(250)).unwrap().unwrap(), r#""a"*"#);
        assert_eq!(
            fts_query("Cat cat CAT dog*").unwrap().unwrap(),
            r#""Cat" "dog"*"#
        );
        assert_eq!(fts_query("a* b* c* d*"), Err(QueryRefused::TooManyPrefixes));
        assert!(fts_query("a* b* c* d e f").unwrap().is_some());
        let words: Vec<String> = (0..=MAX_TERMS).map(|i| format!("w{i}")).collect();
        assert_eq!(fts_query(&words.join(" ")), Err(QueryRefused::TooManyTerms));
        assert!(fts_query(&words[..MAX_TERMS].join(" ")).unwrap().is_some());
    }

    #[test]
    fn highlights_are_escaped_html() {
        assert_eq!(
            highlight_html("<b>\u{1}café\u{2}</b> & 'x'"),
            "&lt;b&gt;<mark>café</mark>&lt;/b&gt; &amp; &#39;x&#39;"
        );
    }
}
