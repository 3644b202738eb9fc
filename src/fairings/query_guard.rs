//! Query strings every route can trust: no parameter given twice, no NUL byte, no
//! invalid UTF-8 once percent-decoded. Anything else is rerouted to an internal
//! route answering 400 `VALIDATION_FAILED` naming the parameter, before a handler
//! can read the first (or the last) of two values.
//!
//! Request bodies likewise: a `Content-Encoding` other than `gzip` (which the body
//! readers decode, see `http::body`) or `identity` answers 415 naming the header.

use std::collections::HashSet;
use std::sync::Mutex;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{uri::Origin, Method};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::Data;

use crate::error::ApiError;

pub const BAD_QUERY_PATH: &str = "/__veza/bad-query";

pub struct QueryGuard;

/// Why this request's query was refused, for the internal route.
struct BadQuery(Mutex<Option<ApiError>>);

/// The most parameters a query may have: no route takes more than a dozen.
pub const MAX_PARAMETERS: usize = 64;

/// The first problem of a raw (percent-encoded) query string. Linear in its
/// length: names are remembered in a set, and the count is capped first.
pub fn check_query(query: &str) -> Result<(), ApiError> {
    let pairs = query.split('&').filter(|p| !p.is_empty());
    if pairs.clone().nth(MAX_PARAMETERS).is_some() {
        return Err(ApiError::validation(
            "query",
            format!("has more than {MAX_PARAMETERS} parameters"),
        ));
    }
    let mut seen: HashSet<String> = HashSet::new();
    for pair in pairs {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(key, "a query parameter name")?;
        let value = decode(value, &key)?;
        if key.contains('\0') || value.contains('\0') {
            return Err(ApiError::validation(
                &key,
                "must not contain NUL characters",
            ));
        }
        if seen.contains(&key) {
            return Err(ApiError::validation(&key, "is given more than once"));
        }
        seen.insert(key);
    }
    Ok(())
}

fn decode(raw: &str, field: &str) -> Result<String, ApiError> {
    rocket::http::RawStr::new(raw)
        .url_decode()
        .map(|s| s.into_owned())
        .map_err(|_| ApiError::validation(field, "is not valid UTF-8 once decoded"))
}

#[rocket::async_trait]
impl Fairing for QueryGuard {
    fn info(&self) -> Info {
        Info {
            name: "query guard",
            kind: Kind::Request,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        let encoding = req.headers().get_one("Content-Encoding").map(str::to_owned);
        let checked = match (encoding, req.uri().query()) {
            (Some(encoding), _) if !crate::http::body::is_supported_encoding(&encoding) => {
                Err(ApiError::UnsupportedEncoding)
            }
            (_, Some(query)) => check_query(query.as_str()),
            (_, None) => Ok(()),
        };
        if let Err(error) = checked {
            req.local_cache(|| BadQuery(Mutex::new(Some(error))));
            req.set_method(Method::Get);
            req.set_uri(Origin::const_new(BAD_QUERY_PATH, None));
        }
    }
}

/// Guard of the internal 400 route: only requests the fairing rerouted pass.
pub struct RefusedQuery(ApiError);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for RefusedQuery {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let slot = req.local_cache(|| BadQuery(Mutex::new(None)));
        match slot.0.lock().ok().and_then(|mut e| e.take()) {
            Some(error) => Outcome::Success(RefusedQuery(error)),
            None => Outcome::Forward(rocket::http::Status::NotFound),
        }
    }
}

#[rocket::get("/__veza/bad-query")]
pub fn bad_query(refused: RefusedQuery) -> ApiError {
    refused.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_nul_and_bad_utf8_are_refused() {
        assert!(check_query("limit=5&page=2&q=caf%C3%A9").is_ok());
        assert!(check_query("").is_ok());
        assert!(check_query("a=1&&b=2").is_ok());
        let field = |q: &str| match check_query(q).unwrap_err() {
            ApiError::Validation { field, .. } => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field("limit=5&limit=6"), "limit");
        assert_eq!(field("q=a%00b"), "q");
        assert_eq!(field("q=%FF%FE"), "q");
        assert_eq!(field("li%6Dit=1&limit=2"), "limit", "compared decoded");
        let many: Vec<String> = (0..=MAX_PARAMETERS).map(|i| format!("k{i}=1")).collect();
        assert_eq!(field(&many.join("&")), "query");
        assert!(check_query(&many[..MAX_PARAMETERS].join("&")).is_ok());
    }
}
