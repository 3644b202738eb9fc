//! `JsonBody<T>`: the JSON request body guard.
//!
//! Rocket's own `Json` guard fails with a bare status; this one says what is wrong:
//! 413 over the size limit, 400 for text that is not JSON, 422 naming the field for
//! JSON of the wrong shape (`details.field` = `"user_id"`, `"metadata.priority"`, …).

use rocket::data::{Data, FromData, Outcome, ToByteUnit};
use rocket::request::Request;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::http::error::stash;

pub struct JsonBody<T>(pub T);

/// Like `JsonBody`, but an empty body is `None` (for actions whose body is optional).
pub struct OptionalJsonBody<T>(pub Option<T>);

/// Whether a request's `Content-Encoding` is one the body readers decode.
pub fn is_supported_encoding(value: &str) -> bool {
    let value = value.trim();
    value.eq_ignore_ascii_case("gzip") || value.eq_ignore_ascii_case("identity")
}

/// Whether the request's body comes in gzip.
pub fn is_gzip(req: &Request<'_>) -> bool {
    req.headers()
        .get_one("Content-Encoding")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("gzip"))
}

/// A request body as it is read, decoded when it came in gzip: at most `limit`
/// bytes of it are read off the wire, and the caller bounds the decoded bytes (a
/// gzip bomb is a 413 after `limit` decoded bytes, never a flood of memory).
pub fn body_reader<'r>(
    gzip: bool,
    data: Data<'r>,
    limit: rocket::data::ByteUnit,
) -> std::pin::Pin<Box<dyn tokio::io::AsyncRead + Send + 'r>> {
    let stream = data.open(limit);
    if gzip {
        let mut decoder =
            async_compression::tokio::bufread::GzipDecoder::new(tokio::io::BufReader::new(stream));
        // Concatenated gzip members are one body, as `gzip -c a b` writes them.
        decoder.multiple_members(true);
        Box::pin(decoder)
    } else {
        Box::pin(stream)
    }
}

async fn read_json<T: DeserializeOwned>(
    req: &Request<'_>,
    data: Data<'_>,
) -> Result<Option<T>, ApiError> {
    use tokio::io::AsyncReadExt;
    let limit = req.limits().get("json").unwrap_or(1.mebibytes());
    let mut bytes = Vec::new();
    // One byte more than allowed, so that an oversize body shows as such.
    body_reader(is_gzip(req), data, (limit.as_u64() + 1).bytes())
        .take(limit.as_u64() + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| ApiError::MalformedJson {
            reason: format!("cannot read the body: {e}"),
        })?;
    if bytes.len() as u64 > limit.as_u64() {
        return Err(ApiError::PayloadTooLarge {
            limit_bytes: limit.as_u64(),
        });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    parse(&bytes).map(Some)
}

pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        describe(inner, path)
    })?;
    de.end().map_err(|e| describe(e, String::new()))?;
    Ok(value)
}

fn describe(e: serde_json::Error, path: String) -> ApiError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => ApiError::MalformedJson {
            reason: e.to_string(),
        },
        Category::Data => {
            let message = e.to_string();
            // serde reports a missing field at its parent: name the field itself.
            let field = match missing_field(&message) {
                Some(name) if path == "." || path.is_empty() => name.to_owned(),
                Some(name) => format!("{path}.{name}"),
                None if path == "." => String::new(),
                None => path,
            };
            let reason = message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_owned();
            ApiError::Unprocessable { field, reason }
        }
    }
}

fn missing_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next()
}

#[rocket::async_trait]
impl<'r, T: DeserializeOwned> FromData<'r> for JsonBody<T> {
    type Error = ();

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> Outcome<'r, Self, ()> {
        let err = match read_json(req, data).await {
            Ok(Some(value)) => return Outcome::Success(JsonBody(value)),
            Ok(None) => ApiError::MalformedJson {
                reason: "the request body is empty; a JSON object is expected".into(),
            },
            Err(e) => e,
        };
        Outcome::Error((stash(req, err), ()))
    }
}

#[rocket::async_trait]
impl<'r, T: DeserializeOwned> FromData<'r> for OptionalJsonBody<T> {
    type Error = ();

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> Outcome<'r, Self, ()> {
        match read_json(req, data).await {
            Ok(value) => Outcome::Success(OptionalJsonBody(value)),
            Err(e) => Outcome::Error((stash(req, e), ())),
        }
    }
}

/// For `Option<Option<T>>` fields: absent → `None` (leave as is), `null` →
/// `Some(None)` (clear), a value → `Some(Some(v))`. Use with `#[serde(default)]`.
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        n: u32,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        inner: Option<Inner>,
    }

    fn field_of(body: &str) -> (u16, String) {
        match parse::<Outer>(body.as_bytes()) {
            Err(ApiError::Unprocessable { field, .. }) => (422, field),
            Err(ApiError::MalformedJson { .. }) => (400, String::new()),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn names_the_failing_field() {
        assert_eq!(field_of(r#"{"name": 5}"#), (422, "name".into()));
        assert_eq!(field_of(r#"{}"#), (422, "name".into()));
        assert_eq!(
            field_of(r#"{"name":"a","inner":{"n":"x"}}"#),
            (422, "inner.n".into())
        );
        assert_eq!(
            field_of(r#"{"name":"a","inner":{}}"#),
            (422, "inner.n".into())
        );
        assert_eq!(field_of(r#"{"name": "a""#).0, 400);
        assert_eq!(field_of(r#"{"name": "a"} trailing"#).0, 400);
    }
}

/// The body of `POST …/read`: the message to mark as read (default: the latest).
#[derive(Debug, serde::Deserialize)]
pub struct ReadBody {
    pub message_id: Option<i64>,
}

/// A raw body of at most `limit` bytes (413 beyond), for routes that parse it
/// themselves (a Slack-shaped hook, an import batch).
pub async fn read_capped(data: Data<'_>, limit: u64) -> Result<Vec<u8>, ApiError> {
    let read =
        data.open(limit.bytes())
            .into_bytes()
            .await
            .map_err(|e| ApiError::MalformedJson {
                reason: format!("cannot read the body: {e}"),
            })?;
    if !read.is_complete() {
        return Err(ApiError::PayloadTooLarge { limit_bytes: limit });
    }
    Ok(read.into_inner())
}
