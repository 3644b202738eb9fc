//! Catchers: every error Rocket itself produces (unknown route, bad body, panic, …)
//! leaves here in the standard error envelope, never as Rocket's HTML page. The one
//! exception is a page load of a path no route serves outside the API: that is a
//! deep link into the web client, which answers it.

use rocket::catcher::{self, Handler};
use rocket::http::{Method, Status};
use rocket::response::{Responder, Response};
use rocket::{Catcher, Request};

use crate::error::{ApiError, Missing};
use crate::http::error::take_stashed;
use crate::web_client;

pub fn catchers() -> Vec<Catcher> {
    vec![Catcher::new(None, DefaultCatcher)]
}

/// Written by hand rather than with `#[catch]`, whose code gives the answer the
/// catcher's status unless the responder sets one: the web client's page must go
/// out as 200, and a derived responder sets none.
#[derive(Clone)]
struct DefaultCatcher;

#[rocket::async_trait]
impl Handler for DefaultCatcher {
    async fn handle<'r>(&self, status: Status, req: &'r Request<'_>) -> catcher::Result<'r> {
        if let Some(err) = take_stashed(req) {
            return with_status(err, status, req);
        }
        if status == Status::NotFound && web_client::serves_client(req) {
            return web_client::page().respond_to(req);
        }
        with_status(error_for(status, req), status, req)
    }
}

/// As `#[catch]` does: the catcher's status unless the error sets its own (a 405).
fn with_status<'r>(err: ApiError, status: Status, req: &'r Request<'_>) -> catcher::Result<'r> {
    Response::build()
        .status(status)
        .merge(err.respond_to(req)?)
        .ok()
}

fn error_for(status: Status, req: &Request<'_>) -> ApiError {
    match status.code {
        400 => ApiError::MalformedJson {
            reason: "the request could not be understood".into(),
        },
        401 => ApiError::InvalidToken("authentication required"),
        403 => ApiError::PermissionDenied("not allowed"),
        404 => match allowed_methods(req) {
            allow if allow.is_empty() => ApiError::NotFound(Missing::Route),
            allow => ApiError::MethodNotAllowed { allow },
        },
        413 => ApiError::PayloadTooLarge {
            limit_bytes: req.limits().get("json").map(|l| l.as_u64()).unwrap_or(0),
        },
        422 => match unparsable_path_id(req) {
            Some(field) => ApiError::Unprocessable {
                field,
                reason: "must be an integer id".into(),
            },
            None => ApiError::Unprocessable {
                field: String::new(),
                reason: "the request parameters are not of the expected form".into(),
            },
        },
        429 => ApiError::RateLimited {
            retry_after_secs: 1,
        },
        500..=599 => ApiError::internal(format!("status {status} from {}", req.uri())),
        _ => ApiError::MalformedJson {
            reason: format!("request refused ({status})"),
        },
    }
}

/// The name of the path parameter whose value is not an id, in the routes of the
/// request's method matching its path: Rocket forwards such a request with 422
/// without saying which parameter failed. Id parameters are named `id` or `…_id`.
fn unparsable_path_id(req: &Request<'_>) -> Option<String> {
    let path = segments(req.uri().path().as_str());
    req.rocket()
        .routes()
        .filter(|route| route.method == req.method())
        .find_map(|route| {
            let template = segments(route.uri.path());
            if !path_matches(&template, &path) {
                return None;
            }
            template.iter().zip(&path).find_map(|(t, p)| {
                let name = t.strip_prefix('<')?.strip_suffix('>')?;
                let is_id = name == "id" || name.ends_with("_id");
                (is_id && p.parse::<i64>().is_err()).then(|| name.to_owned())
            })
        })
}

/// The methods of the routes whose path matches the request's, when none matched
/// its method: Rocket 0.5 answers those with 404, HTTP wants 405 and `Allow`.
fn allowed_methods(req: &Request<'_>) -> Vec<String> {
    let routes = req
        .rocket()
        .routes()
        .filter(|route| route.method != req.method())
        .map(|route| (route.method, route.uri.path()));
    methods_on(routes, req.uri().path().as_str())
}

/// The methods among `routes` (method, path template) whose path matches `path`,
/// sorted and without repeats.
pub fn methods_on<'a>(routes: impl Iterator<Item = (Method, &'a str)>, path: &str) -> Vec<String> {
    let path: Vec<&str> = segments(path);
    let mut methods: Vec<Method> = routes
        .filter(|(_, template)| path_matches(&segments(template), &path))
        .map(|(method, _)| method)
        .collect();
    methods.sort_by_key(|m| m.as_str());
    methods.dedup();
    methods.iter().map(|m| m.as_str().to_owned()).collect()
}

fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

/// Whether a route path (`/api/v1/users/<id>`) matches a request path.
fn path_matches(route: &[&str], path: &[&str]) -> bool {
    match route.last() {
        Some(last) if last.ends_with("..>") => {
            path.len() >= route.len() - 1
                && route[..route.len() - 1]
                    .iter()
                    .zip(path)
                    .all(|(r, p)| segment_matches(r, p))
        }
        _ => {
            route.len() == path.len() && route.iter().zip(path).all(|(r, p)| segment_matches(r, p))
        }
    }
}

fn segment_matches(route: &str, path: &str) -> bool {
    (route.starts_with('<') && route.ends_with('>')) || route == path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_dynamic_and_trailing_segments() {
        let r = |s| segments(s);
        assert!(path_matches(
            &r("/api/v1/users/<id>"),
            &r("/api/v1/users/5")
        ));
        assert!(!path_matches(
            &r("/api/v1/users/<id>"),
            &r("/api/v1/users/5/x")
        ));
        assert!(path_matches(&r("/static/<path..>"), &r("/static/a/b.js")));
        assert!(!path_matches(
            &r("/api/v1/users/me"),
            &r("/api/v1/users/you")
        ));
    }
}
