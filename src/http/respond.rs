//! The success envelope: `{"success": true, "data": …}`, and 204 for no content.

use std::io::Cursor;

use rocket::http::{ContentType, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use serde::Serialize;

use crate::error::ApiError;

pub struct Success<T> {
    status: Status,
    data: T,
    /// A `Location` header (a redirect that also tells API clients where it goes).
    location: Option<String>,
}

/// 200 with `data`.
pub fn ok<T: Serialize>(data: T) -> Success<T> {
    Success {
        status: Status::Ok,
        data,
        location: None,
    }
}

/// 201 with `data`.
pub fn created<T: Serialize>(data: T) -> Success<T> {
    Success {
        status: Status::Created,
        data,
        location: None,
    }
}

/// 202 with `data`: taken, to be done after the answer.
pub fn accepted<T: Serialize>(data: T) -> Success<T> {
    Success {
        status: Status::Accepted,
        data,
        location: None,
    }
}

/// 302 to `location`, with `data` for clients that read the answer instead.
pub fn found<T: Serialize>(location: String, data: T) -> Success<T> {
    Success {
        status: Status::Found,
        data,
        location: Some(location),
    }
}

#[derive(Serialize)]
struct Envelope<'a, T> {
    success: bool,
    data: &'a T,
}

impl<'r, T: Serialize> Responder<'r, 'static> for Success<T> {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let body = match serde_json::to_vec(&Envelope {
            success: true,
            data: &self.data,
        }) {
            Ok(body) => body,
            Err(e) => return ApiError::internal(format!("serialise: {e}")).respond_to(req),
        };
        let mut response = Response::build();
        response
            .status(self.status)
            .header(ContentType::JSON)
            .sized_body(body.len(), Cursor::new(body));
        if let Some(location) = self.location {
            response.raw_header("Location", location);
        }
        response.ok()
    }
}

/// 201 with `data` already serialised (an event's payload): the envelope is
/// written around its bytes.
pub struct CreatedRaw(pub std::sync::Arc<str>);

impl<'r> Responder<'r, 'static> for CreatedRaw {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let body = format!("{{\"success\":true,\"data\":{}}}", self.0);
        Response::build()
            .status(Status::Created)
            .header(ContentType::JSON)
            .sized_body(body.len(), Cursor::new(body))
            .ok()
    }
}

/// 204, no body: DELETE and logout.
pub struct NoContent;

impl<'r> Responder<'r, 'static> for NoContent {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        Response::build().status(Status::NoContent).ok()
    }
}
