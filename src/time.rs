//! Timestamps: stored and served as RFC 3339 UTC text with milliseconds
//! (`2024-01-15T14:35:00.123Z`), which sorts as text and SQLite's date functions read.

use chrono::{DateTime, SecondsFormat, Utc};

pub fn format(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn now_rfc3339() -> String {
    format(Utc::now())
}

/// A Unix time in seconds, as stored text.
pub fn rfc3339_of_unix(secs: u64) -> String {
    let secs = i64::try_from(secs).unwrap_or(i64::MAX / 1000);
    DateTime::<Utc>::from_timestamp(secs, 0).map_or_else(now_rfc3339, format)
}

/// `now + secs`, as stored text.
pub fn in_secs(secs: u64) -> String {
    let secs = i64::try_from(secs).unwrap_or(i64::MAX / 1000);
    format(Utc::now() + chrono::Duration::seconds(secs))
}

/// `now + millis`, as stored text.
pub fn in_millis(millis: u64) -> String {
    let millis = i64::try_from(millis).unwrap_or(i64::MAX / 1000);
    format(Utc::now() + chrono::Duration::milliseconds(millis))
}

/// `now - secs`, as stored text.
pub fn ago_secs(secs: u64) -> String {
    let secs = i64::try_from(secs).unwrap_or(0);
    format(Utc::now() - chrono::Duration::seconds(secs))
}

/// A stored timestamp plus `secs`, as stored text (`None` if it does not parse).
pub fn plus_secs(stored: &str, secs: u64) -> Option<String> {
    let at = chrono::DateTime::parse_from_rfc3339(stored).ok()?;
    let secs = i64::try_from(secs).ok()?;
    Some(format(
        at.with_timezone(&Utc) + chrono::Duration::seconds(secs),
    ))
}

pub fn unix_now() -> u64 {
    Utc::now().timestamp().max(0) as u64
}

/// How long until the stored timestamp `at` (zero if past or unreadable).
pub fn until(at: &str) -> std::time::Duration {
    chrono::DateTime::parse_from_rfc3339(at)
        .ok()
        .and_then(|at| (at.with_timezone(&Utc) - Utc::now()).to_std().ok())
        .unwrap_or_default()
}

/// A timestamp a client sent (RFC 3339, any offset), as stored text (UTC);
/// `None` when it is not one.
pub fn parse_client(text: &str) -> Option<String> {
    let at = chrono::DateTime::parse_from_rfc3339(text.trim()).ok()?;
    Some(format(at.with_timezone(&Utc)))
}
