//! Field rules shared by handlers. Lengths are counted in Unicode characters.
//!
//! Names and labels other people read (room names, first and last names, status
//! messages) go through [`label`]: stored NFC-normalised, so two spellings of one
//! name are one name, and refused when they hold characters that make text lie
//! about itself (bidirectional overrides, zero-width characters) or are blank.
//! Message content is kept as typed.

use unicode_normalization::UnicodeNormalization;

use crate::error::ApiError;

pub const USERNAME_MIN: usize = 3;
pub const USERNAME_MAX: usize = 32;
pub const EMAIL_MAX: usize = 254;
pub const NAME_MAX: usize = 64;
pub const STATUS_MESSAGE_MAX: usize = 256;
pub const PASSWORD_MIN_LENGTH: usize = 8;
pub const PASSWORD_MAX_LENGTH: usize = 128;
/// Files one message may carry.
pub const MAX_ATTACHMENTS: usize = 10;

/// 3–32 characters of `[A-Za-z0-9_.-]`.
pub fn username(value: &str) -> Result<String, ApiError> {
    let len = value.chars().count();
    if !(USERNAME_MIN..=USERNAME_MAX).contains(&len) {
        return Err(ApiError::length(
            "username",
            USERNAME_MIN,
            USERNAME_MAX,
            len,
        ));
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Err(ApiError::validation(
            "username",
            "may contain only letters A-Z, digits, `_`, `.` and `-`",
        ));
    }
    Ok(value.to_owned())
}

/// A plausible address: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn email(value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    let len = value.chars().count();
    if len > EMAIL_MAX {
        return Err(ApiError::length("email", 3, EMAIL_MAX, len));
    }
    let valid = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if !valid {
        return Err(ApiError::validation(
            "email",
            "is not a valid e-mail address",
        ));
    }
    Ok(value.to_owned())
}

/// 8–128 characters; never trimmed (spaces are part of a passphrase).
pub fn password(field: &str, value: &str) -> Result<(), ApiError> {
    let len = value.chars().count();
    if !(PASSWORD_MIN_LENGTH..=PASSWORD_MAX_LENGTH).contains(&len) {
        return Err(ApiError::length(
            field,
            PASSWORD_MIN_LENGTH,
            PASSWORD_MAX_LENGTH,
            len,
        ));
    }
    Ok(())
}

/// Optional free text: trimmed, empty becomes `None`, at most `max` characters,
/// no control characters.
pub fn optional_text(
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, ApiError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let len = value.chars().count();
    if len > max {
        return Err(ApiError::length(field, 0, max, len));
    }
    if value.chars().any(char::is_control) {
        return Err(ApiError::validation(
            field,
            "must not contain control characters",
        ));
    }
    Ok(Some(value.to_owned()))
}

/// Characters refused in names: bidirectional embeddings, overrides and isolates
/// (U+202A–U+202E, U+2066–U+2069), zero-width spaces and joiners and the direction
/// marks (U+200B–U+200F), the word joiner (U+2060) and the byte-order mark (U+FEFF).
pub fn is_deceptive(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}')
}

/// Invisible characters that let one name pass for another (`gen\u{AD}eral` beside
/// `general`): every format character (Unicode category Cf, as of Unicode 16), and
/// the combining grapheme joiner U+034F, which renders as nothing too.
pub fn is_format(c: char) -> bool {
    matches!(c,
        '\u{AD}' | '\u{34F}' | '\u{600}'..='\u{605}' | '\u{61C}' | '\u{6DD}' | '\u{70F}'
        | '\u{890}'..='\u{891}' | '\u{8E2}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}'
        | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' | '\u{110BD}' | '\u{110CD}'
        | '\u{13430}'..='\u{1343F}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0001}' | '\u{E0020}'..='\u{E007F}')
}

/// Characters that render blank although they are not whitespace: the Hangul
/// fillers and the blank Braille pattern. A name of nothing else is blank.
fn is_blank_filler(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' | '\u{2800}'
        )
}

/// A name or label: NFC-normalised and trimmed, at most `max` characters, without
/// control, bidirectional, zero-width or other format characters; `None` when
/// blank (nothing but whitespace and blank fillers).
pub fn label(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, ApiError> {
    let Some(value) = value else {
        return Ok(None);
    };
    if value.chars().any(is_deceptive) {
        return Err(ApiError::validation(
            field,
            "must not contain bidirectional-control or zero-width characters",
        ));
    }
    if let Some(c) = value.chars().find(|c| is_format(*c)) {
        return Err(ApiError::validation(
            field,
            format!(
                "must not contain invisible format characters (U+{:04X})",
                c as u32
            ),
        ));
    }
    if value.chars().all(is_blank_filler) {
        return Ok(None);
    }
    let normal: String = value.nfc().collect();
    optional_text(field, Some(&normal), max)
}

/// The form names are compared in: NFC, then lower case (Unicode-aware).
pub fn name_key(name: &str) -> String {
    name.trim()
        .nfc()
        .collect::<String>()
        .to_lowercase()
        .nfc()
        .collect()
}

pub const ROOM_NAME_MAX: usize = 100;
pub const ROOM_DESCRIPTION_MAX: usize = 500;
pub const ROOM_MAX_MEMBERS: i64 = 100_000;

/// A [`label`] of 1–100 characters.
pub fn room_name(value: &str) -> Result<String, ApiError> {
    match label("name", Some(value), ROOM_NAME_MAX)? {
        Some(name) => Ok(name),
        None => Err(ApiError::length("name", 1, ROOM_NAME_MAX, 0)),
    }
}

/// A member cap: 1 to 100 000.
pub fn max_members(value: i64) -> Result<i64, ApiError> {
    if (1..=ROOM_MAX_MEMBERS).contains(&value) {
        Ok(value)
    } else {
        Err(ApiError::validation(
            "max_members",
            format!("must be between 1 and {ROOM_MAX_MEMBERS}, or null for no limit"),
        ))
    }
}

/// A room's retention in days: 1 to 100 years' worth, or null to follow the server.
pub fn retention_days(value: i64) -> Result<i64, ApiError> {
    if (1..=36_500).contains(&value) {
        Ok(value)
    } else {
        Err(ApiError::validation(
            "retention_days",
            "must be between 1 and 36500, or null to follow the server's retention",
        ))
    }
}

/// Reconciles `is_public` with its mirror `is_private`; `None` if neither is given.
pub fn visibility(
    is_public: Option<bool>,
    is_private: Option<bool>,
) -> Result<Option<bool>, ApiError> {
    match (is_public, is_private) {
        (Some(public), Some(private)) if public == private => {
            Err(ApiError::validation("is_private", "contradicts is_public"))
        }
        (Some(public), _) => Ok(Some(public)),
        (None, Some(private)) => Ok(Some(!private)),
        (None, None) => Ok(None),
    }
}

pub const METADATA_MAX_BYTES: usize = 4096;
pub const EMOJI_MAX_BYTES: usize = 64;
pub const EDIT_REASON_MAX: usize = 500;
pub const IDEMPOTENCY_KEY_MAX: usize = 255;

/// Message text: trimmed, 1 to `max` characters, no control characters but line
/// breaks and tabs.
pub fn message_content(value: &str, max: usize) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ApiError::length("content", 1, max, 0));
    }
    let len = value.chars().count();
    if len > max {
        return Err(ApiError::MessageTooLong {
            max_length: max,
            actual_length: len,
        });
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(ApiError::validation(
            "content",
            "must not contain control characters",
        ));
    }
    Ok(value.to_owned())
}

/// Client metadata: a JSON object of at most 4 KiB, or nothing.
pub fn metadata(value: Option<serde_json::Value>) -> Result<Option<String>, ApiError> {
    match value {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v @ serde_json::Value::Object(_)) => {
            let text = v.to_string();
            if text.len() > METADATA_MAX_BYTES {
                let mut e = ApiError::validation("metadata", "is larger than 4096 bytes");
                if let ApiError::Validation { extra, .. } = &mut e {
                    extra.insert("max_bytes".into(), METADATA_MAX_BYTES.into());
                    extra.insert("actual_bytes".into(), text.len().into());
                }
                return Err(e);
            }
            Ok(Some(text))
        }
        Some(_) => Err(ApiError::validation("metadata", "must be a JSON object")),
    }
}

/// A reaction: a Unicode emoji or a `:shortcode:`, 1–64 bytes, no whitespace or
/// control characters.
pub fn emoji(value: &str) -> Result<String, ApiError> {
    if value.is_empty() || value.len() > EMOJI_MAX_BYTES {
        let mut e = ApiError::validation("emoji", "must be 1 to 64 bytes long");
        if let ApiError::Validation { extra, .. } = &mut e {
            extra.insert("max_bytes".into(), EMOJI_MAX_BYTES.into());
            extra.insert("actual_bytes".into(), value.len().into());
        }
        return Err(e);
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ApiError::validation(
            "emoji",
            "must not contain whitespace or control characters",
        ));
    }
    Ok(value.to_owned())
}

/// An `Idempotency-Key`: 1–255 visible ASCII characters.
pub fn idempotency_key(value: &str) -> Result<String, ApiError> {
    let ok = !value.is_empty()
        && value.len() <= IDEMPOTENCY_KEY_MAX
        && value.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(value.to_owned())
    } else {
        Err(ApiError::validation(
            "Idempotency-Key",
            "must be 1 to 255 visible ASCII characters",
        ))
    }
}

/// The file ids of a message's attachments: at most
/// [`MAX_ATTACHMENTS`], each once, in order.
pub fn attachments(ids: Vec<i64>) -> Result<Vec<i64>, ApiError> {
    let max = MAX_ATTACHMENTS;
    let mut unique = Vec::with_capacity(ids.len().min(max));
    for id in ids {
        if !unique.contains(&id) {
            unique.push(id);
        }
        if unique.len() > max {
            return Err(ApiError::validation(
                "attachments",
                format!("at most {max} files per message"),
            ));
        }
    }
    Ok(unique)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_normalised_and_deceptive_ones_refused() {
        let nfd = "Cafe\u{301}";
        assert_eq!(label("n", Some(nfd), 10).unwrap().unwrap(), "Café");
        assert_eq!(name_key(nfd), name_key("CAFÉ"));
        for bad in [
            "\u{202E}gnp.exe",
            "a\u{200B}b",
            "\u{2066}x\u{2069}",
            "\u{FEFF}x",
            "x\u{200F}",
        ] {
            assert!(label("n", Some(bad), 100).is_err(), "{bad:?}");
        }
        assert!(room_name("\u{200B}\u{200B}").is_err(), "only zero-width");
        assert!(room_name("   ").is_err(), "blank");
        assert!(label("n", Some("  "), 10).unwrap().is_none());
        assert_eq!(room_name("  Équipe  ").unwrap(), "Équipe");
    }

    #[test]
    fn format_characters_are_refused_and_fillers_are_blank() {
        for bad in [
            "gen\u{AD}eral",
            "a\u{2062}b",
            "a\u{180E}b",
            "a\u{34F}b",
            "a\u{61C}b",
            "tag\u{E0041}\u{E007F}",
            "a\u{FFF9}b\u{FFFB}",
            "\u{600}1",
        ] {
            let e = label("name", Some(bad), 100).unwrap_err();
            assert!(e.message().contains("format"), "{bad:?}: {e}");
        }
        for blank in [
            "\u{3164}",
            "\u{2800}\u{2800}",
            "\u{115F}\u{1160}",
            " \u{FFA0} ",
        ] {
            assert!(room_name(blank).is_err(), "{blank:?}");
            assert_eq!(label("n", Some(blank), 10).unwrap(), None, "{blank:?}");
        }
        // Fillers among visible letters, emoji and other scripts are kept.
        assert_eq!(room_name("한\u{3164}글").unwrap(), "한\u{3164}글");
        assert_eq!(room_name("équipe 🚀 日本").unwrap(), "équipe 🚀 日本");
        assert_eq!(room_name("❤\u{FE0F} fans").unwrap(), "❤\u{FE0F} fans");
    }
}
