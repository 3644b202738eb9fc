//! `ApiError`: what a failure means to a client (a rule broken, a thing missing,
//! a conflict, a fault of ours), with its code, message and details. Plain Rust:
//! the domain returns it, reading the store's `StoreError` through the `From`
//! impls below; `http/error.rs` alone gives it a status and writes the envelope.

use serde_json::{json, Map, Value};

pub use crate::db::error::Missing;
use crate::db::error::{FromStore, Refusal, StoreError};

#[derive(Debug, Clone)]
pub enum ApiError {
    /// A rule on a field was broken (length, format, range). 400.
    Validation {
        field: String,
        reason: String,
        extra: Map<String, Value>,
    },
    /// The body was JSON but not of the expected shape (wrong type, missing field). 422.
    Unprocessable {
        field: String,
        reason: String,
    },
    /// A request body in an encoding Veza does not decode (only `gzip`). 415.
    UnsupportedEncoding,
    /// The body was not JSON at all. 400.
    MalformedJson {
        reason: String,
    },
    /// Content longer than allowed, counted in Unicode characters. 400.
    MessageTooLong {
        max_length: usize,
        actual_length: usize,
    },
    InvalidCredentials,
    InvalidToken(&'static str),
    PermissionDenied(&'static str),
    UserBlocked,
    RegistrationClosed,
    NotFound(Missing),
    /// A 404 (`NOT_FOUND`) that says what is missing.
    NotFoundBecause(&'static str),
    /// A unique value is taken; `field` names it.
    Conflict {
        field: String,
        reason: String,
    },
    /// A state conflict that is not about a unique field (e.g. the owner leaving).
    StateConflict(&'static str),
    RoomFull,
    PayloadTooLarge {
        limit_bytes: u64,
    },
    RateLimited {
        retry_after_secs: u64,
    },
    /// A `Range` that no byte of the file satisfies. 416.
    RangeNotSatisfiable {
        size: u64,
    },
    MethodNotAllowed {
        allow: Vec<String>,
    },
    /// The request line or framing could not be parsed (answered by the gate). 400.
    MalformedRequest(&'static str),
    /// The request head did not arrive in time. 408.
    RequestTimeout,
    /// The request head is larger than allowed. 431.
    HeadTooLarge,
    /// The identity provider refused a sign-in (`access_denied`, a bad code…). 401.
    ProviderRefused {
        error: String,
        description: Option<String>,
    },
    /// The identity provider cannot be reached or answered nonsense. 502. The
    /// detail goes to the log.
    ProviderUnavailable(String),
    /// The server cannot take this connection now. 503.
    Unavailable(&'static str),
    /// The user holds as many real-time connections as allowed. 429.
    TooManyConnections {
        max: usize,
    },
    /// The disk is full: nothing can be written until space returns. 507.
    StorageFull,
    /// SQLite found the database file damaged. 500; the detail goes to the log and
    /// `/health` reports it.
    DatabaseDamaged(String),
    /// A fault of ours. The detail goes to the log, never to the client.
    Internal(String),
}

impl ApiError {
    pub fn validation(field: &str, reason: impl Into<String>) -> Self {
        ApiError::Validation {
            field: field.to_owned(),
            reason: reason.into(),
            extra: Map::new(),
        }
    }

    /// A length rule on `field`, with the limits and the actual length in the details.
    pub fn length(field: &str, min: usize, max: usize, actual: usize) -> Self {
        let mut extra = Map::new();
        extra.insert("min_length".into(), min.into());
        extra.insert("max_length".into(), max.into());
        extra.insert("actual_length".into(), actual.into());
        ApiError::Validation {
            field: field.to_owned(),
            reason: format!("must be between {min} and {max} characters long"),
            extra,
        }
    }

    pub fn conflict(field: &str, reason: impl Into<String>) -> Self {
        ApiError::Conflict {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        ApiError::Internal(detail.into())
    }

    /// A failed file operation: a full disk (or quota) is [`ApiError::StorageFull`],
    /// anything else a fault of ours described by `doing`.
    pub fn io(doing: &str, e: &std::io::Error) -> Self {
        use std::io::ErrorKind;
        match e.kind() {
            ErrorKind::StorageFull | ErrorKind::QuotaExceeded | ErrorKind::FileTooLarge => {
                ApiError::StorageFull
            }
            _ => ApiError::Internal(format!("{doing}: {e}")),
        }
    }

    pub fn code(&self) -> &'static str {
        use ApiError::*;
        match self {
            Validation { .. }
            | Unprocessable { .. }
            | MalformedJson { .. }
            | UnsupportedEncoding => "VALIDATION_FAILED",
            MalformedRequest(_) => "BAD_REQUEST",
            RequestTimeout => "REQUEST_TIMEOUT",
            HeadTooLarge => "HEADERS_TOO_LARGE",
            Unavailable(_) => "SERVICE_UNAVAILABLE",
            TooManyConnections { .. } => "TOO_MANY_CONNECTIONS",
            StorageFull => "STORAGE_FULL",
            MessageTooLong { .. } => "MESSAGE_TOO_LONG",
            InvalidCredentials | ProviderRefused { .. } => "INVALID_CREDENTIALS",
            ProviderUnavailable(_) => "PROVIDER_UNAVAILABLE",
            InvalidToken(_) => "INVALID_TOKEN",
            PermissionDenied(_) => "PERMISSION_DENIED",
            UserBlocked => "USER_BLOCKED",
            RegistrationClosed => "REGISTRATION_CLOSED",
            NotFound(Missing::Route | Missing::Resource | Missing::Member | Missing::Stream)
            | NotFoundBecause(_) => "NOT_FOUND",
            NotFound(Missing::Room) => "ROOM_NOT_FOUND",
            NotFound(Missing::Message) => "MESSAGE_NOT_FOUND",
            NotFound(Missing::User) => "USER_NOT_FOUND",
            NotFound(Missing::File) => "FILE_NOT_FOUND",
            NotFound(Missing::Conversation) => "CONVERSATION_NOT_FOUND",
            Conflict { .. } | StateConflict(_) => "RESOURCE_CONFLICT",
            RoomFull => "ROOM_FULL",
            PayloadTooLarge { .. } => "PAYLOAD_TOO_LARGE",
            RateLimited { .. } => "RATE_LIMIT_EXCEEDED",
            RangeNotSatisfiable { .. } => "RANGE_NOT_SATISFIABLE",
            MethodNotAllowed { .. } => "METHOD_NOT_ALLOWED",
            Internal(_) | DatabaseDamaged(_) => "INTERNAL_ERROR",
        }
    }

    pub fn message(&self) -> String {
        use ApiError::*;
        match self {
            Validation { field, reason, .. } => format!("invalid `{field}`: {reason}"),
            Unprocessable { field, reason } => format!("invalid `{field}`: {reason}"),
            MalformedJson { .. } => "the request body is not valid JSON".into(),
            UnsupportedEncoding => {
                "the request body's Content-Encoding is not supported; send it as is or in gzip"
                    .into()
            }
            MessageTooLong { max_length, .. } => {
                format!("the message is longer than {max_length} characters")
            }
            InvalidCredentials => "invalid username, e-mail or password".into(),
            InvalidToken(why) => format!("invalid token: {why}"),
            PermissionDenied(why) => format!("permission denied: {why}"),
            UserBlocked => "you cannot message this user".into(),
            RegistrationClosed => {
                "registration is closed on this server: it takes an invitation".into()
            }
            NotFound(Missing::Route) => "no such endpoint".into(),
            NotFound(Missing::Resource) => "not found".into(),
            NotFound(Missing::Room) => "room not found".into(),
            NotFound(Missing::Message) => "message not found".into(),
            NotFound(Missing::User) => "user not found".into(),
            NotFound(Missing::File) => "file not found".into(),
            NotFound(Missing::Conversation) => "conversation not found".into(),
            NotFound(Missing::Member) => "this user is not a member of the room".into(),
            NotFound(Missing::Stream) => "stream not found".into(),
            NotFoundBecause(why) => (*why).into(),
            Conflict { field, reason } => format!("`{field}` conflicts: {reason}"),
            StateConflict(why) => (*why).into(),
            RoomFull => "the room is full".into(),
            PayloadTooLarge { limit_bytes } => {
                format!("the request body is larger than {limit_bytes} bytes")
            }
            RateLimited { retry_after_secs } => {
                format!("too many requests; retry in {retry_after_secs} s")
            }
            MethodNotAllowed { .. } => "method not allowed on this endpoint".into(),
            RangeNotSatisfiable { size } => {
                format!("the requested range is outside the file's {size} bytes")
            }
            MalformedRequest(why) => format!("the request could not be understood: {why}"),
            RequestTimeout => "the request head did not arrive in time".into(),
            HeadTooLarge => "the request head is too large".into(),
            Unavailable(why) => format!("service unavailable: {why}"),
            ProviderRefused { .. } => "the identity provider refused the sign-in".into(),
            ProviderUnavailable(_) => "the identity provider cannot be reached".into(),
            TooManyConnections { max } => {
                format!("you hold {max} real-time connections already; close one first")
            }
            StorageFull => {
                "the server's disk is full: nothing can be saved until space is freed".into()
            }
            Internal(_) | DatabaseDamaged(_) => "internal server error".into(),
        }
    }

    pub fn details(&self) -> Value {
        use ApiError::*;
        match self {
            Validation {
                field,
                reason,
                extra,
            } => {
                let mut details = extra.clone();
                details.insert("field".into(), field.as_str().into());
                details.insert("reason".into(), reason.as_str().into());
                Value::Object(details)
            }
            Unprocessable { field, reason } | Conflict { field, reason } => {
                json!({ "field": field, "reason": reason })
            }
            MalformedJson { reason } => json!({ "reason": reason }),
            UnsupportedEncoding => json!({
                "field": "Content-Encoding",
                "reason": "only gzip (or no encoding) is accepted",
            }),
            MessageTooLong {
                max_length,
                actual_length,
            } => json!({
                "field": "content",
                "reason": "the message is too long",
                "max_length": max_length,
                "actual_length": actual_length,
            }),
            PayloadTooLarge { limit_bytes } => json!({ "max_bytes": limit_bytes }),
            RateLimited { retry_after_secs } => json!({ "retry_after": retry_after_secs }),
            MethodNotAllowed { allow } => json!({ "allow": allow }),
            RangeNotSatisfiable { size } => json!({ "field": "Range", "size": size }),
            ProviderRefused { error, description } => json!({
                "provider_error": printable(error, 64),
                "provider_description": description.as_deref().map(|d| printable(d, 300)),
            }),
            _ => json!({}),
        }
    }
}

/// At most `max` characters of text from elsewhere, without control characters.
fn printable(text: &str, max: usize) -> String {
    text.chars().filter(|c| !c.is_control()).take(max).collect()
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Internal(detail) => write!(f, "internal error: {detail}"),
            ApiError::DatabaseDamaged(detail) => write!(f, "damaged database: {detail}"),
            other => write!(f, "{}: {}", other.code(), other.message()),
        }
    }
}

impl std::error::Error for ApiError {}

/// The default reading of what the store says: a missing row is a 404 of its
/// kind; a full disk and a damaged file are themselves; anything else, an
/// unexpected constraint included, is a fault of ours (500, detail in the log).
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::NotFound(what),
            StoreError::Refused(why) => why.into(),
            StoreError::Full => ApiError::StorageFull,
            StoreError::Damaged(detail) => ApiError::DatabaseDamaged(detail),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// What each refusal of the store means to a client.
impl From<Refusal> for ApiError {
    fn from(why: Refusal) -> Self {
        match why {
            Refusal::Taken { column } => {
                let reason = match column {
                    "username" => "this username is taken",
                    "email" => "this e-mail is already registered",
                    "name" => "a room with this name exists",
                    "account" => "this account is already linked to another identity at this provider",
                    _ => "this value is taken",
                };
                ApiError::conflict(column, reason)
            }
            Refusal::RoomFull => ApiError::RoomFull,
            Refusal::BelowMembers { members } => ApiError::conflict(
                "max_members",
                format!("the room already has {members} members"),
            ),
            Refusal::NotFirstAccount => ApiError::RegistrationClosed,
            Refusal::LastAdmin => ApiError::StateConflict(
                "the last active admin cannot be demoted or deactivated; promote another admin first",
            ),
            Refusal::TooManyReactions { max } => ApiError::Conflict {
                field: "emoji".into(),
                reason: format!("this message already has {max} different reactions"),
            },
            Refusal::NotAttachable(id) => ApiError::validation(
                "attachments",
                format!("file {id} is not an unattached upload of yours in this place"),
            ),
            Refusal::TooManyPending => ApiError::RateLimited {
                retry_after_secs: 60,
            },
            Refusal::TooManySubscriptions { max } => ApiError::Conflict {
                field: "endpoint".into(),
                reason: format!(
                    "you have {max} push subscriptions already; remove one (sign out of an old browser)"
                ),
            },
        }
    }
}

impl From<crate::tokens::NoRandomness> for ApiError {
    fn from(e: crate::tokens::NoRandomness) -> Self {
        ApiError::Internal(e.to_string())
    }
}

/// SQLite's own errors, met outside the store (a handler's `?` on a statement).
impl From<crate::sql::Error> for ApiError {
    fn from(e: crate::sql::Error) -> Self {
        StoreError::from(e).into()
    }
}

impl FromStore for ApiError {
    fn storage_failure(&self) -> Option<StoreError> {
        match self {
            ApiError::StorageFull => Some(StoreError::Full),
            ApiError::DatabaseDamaged(detail) => Some(StoreError::Damaged(detail.clone())),
            _ => None,
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
