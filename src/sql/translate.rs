//! SQLite's spelling of a statement in PostgreSQL's: `?N` placeholders become `$N`,
//! `LIKE` becomes `ILIKE` (SQLite's LIKE ignores ASCII case, PostgreSQL's does not),
//! `BEGIN IMMEDIATE` becomes `BEGIN`. String literals, quoted names and comments
//! are left as they are. Everything else is written in the SQL both share.

pub fn to_postgres(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.char_indices().peekable();
    let mut next_bare = 1usize;
    let mut last_word = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                // Up to the closing quote; a doubled quote is an escaped one and
                // simply closes and reopens.
                for (_, d) in chars.by_ref() {
                    out.push(d);
                    if d == c {
                        break;
                    }
                }
            }
            '-' if sql[i..].starts_with("--") => {
                out.push(c);
                for (_, d) in chars.by_ref() {
                    out.push(d);
                    if d == '\n' {
                        break;
                    }
                }
            }
            '?' => {
                let mut digits = String::new();
                while let Some(&(_, d)) = chars.peek() {
                    if d.is_ascii_digit() {
                        digits.push(d);
                        chars.next();
                    } else {
                        break;
                    }
                }
                let n = if digits.is_empty() {
                    next_bare
                } else {
                    digits.parse().unwrap_or(next_bare)
                };
                next_bare = next_bare.max(n + 1);
                out.push('$');
                out.push_str(&n.to_string());
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut word = String::from(c);
                while let Some(&(_, d)) = chars.peek() {
                    if d.is_ascii_alphanumeric() || d == '_' {
                        word.push(d);
                        chars.next();
                    } else {
                        break;
                    }
                }
                let upper = word.to_ascii_uppercase();
                if upper == "LIKE" {
                    out.push_str("ILIKE");
                } else if upper == "IMMEDIATE" && last_word == "BEGIN" {
                    // `BEGIN IMMEDIATE`: drop the word (and the space before it).
                    while out.ends_with(char::is_whitespace) {
                        out.pop();
                    }
                } else {
                    out.push_str(&word);
                }
                last_word = upper;
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::to_postgres;

    #[test]
    fn placeholders_become_numbered_dollars() {
        assert_eq!(
            to_postgres("SELECT a FROM t WHERE b = ?1 AND c = ?12"),
            "SELECT a FROM t WHERE b = $1 AND c = $12"
        );
        assert_eq!(to_postgres("VALUES (?, ?, ?)"), "VALUES ($1, $2, $3)");
        assert_eq!(to_postgres("VALUES (?2, ?)"), "VALUES ($2, $3)");
    }

    #[test]
    fn literals_names_and_comments_are_left_alone() {
        assert_eq!(
            to_postgres("SELECT '?1 like it''s', \"like?\" FROM t -- like ?\nWHERE x LIKE ?1"),
            "SELECT '?1 like it''s', \"like?\" FROM t -- like ?\nWHERE x ILIKE $1"
        );
    }

    #[test]
    fn begin_immediate_is_begin() {
        assert_eq!(to_postgres("BEGIN IMMEDIATE"), "BEGIN");
        assert_eq!(
            to_postgres("SELECT immediate FROM t"),
            "SELECT immediate FROM t"
        );
    }
}
