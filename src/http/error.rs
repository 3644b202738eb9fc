//! How an `ApiError` reaches a client: its status, the error envelope
//! `{"success": false, "error": {code, message, details, timestamp, request_id}}`,
//! the headers some errors carry, and the stash that lets a guard's precise error
//! reach the catcher. The only place errors become HTTP.

use std::io::Cursor;

use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use serde_json::Value;

use crate::error::ApiError;
use crate::http::request_id::RequestId;

impl ApiError {
    pub fn status(&self) -> Status {
        use ApiError::*;
        match self {
            Validation { .. } | MalformedJson { .. } | MessageTooLong { .. } => Status::BadRequest,
            Unprocessable { .. } => Status::UnprocessableEntity,
            UnsupportedEncoding => Status::UnsupportedMediaType,
            InvalidCredentials | InvalidToken(_) | ProviderRefused { .. } => Status::Unauthorized,
            PermissionDenied(_) | UserBlocked | RegistrationClosed => Status::Forbidden,
            NotFound(_) | NotFoundBecause(_) => Status::NotFound,
            Conflict { .. } | StateConflict(_) | RoomFull => Status::Conflict,
            PayloadTooLarge { .. } => Status::PayloadTooLarge,
            RateLimited { .. } => Status::TooManyRequests,
            RangeNotSatisfiable { .. } => Status::RangeNotSatisfiable,
            MethodNotAllowed { .. } => Status::MethodNotAllowed,
            MalformedRequest(_) => Status::BadRequest,
            RequestTimeout => Status::RequestTimeout,
            HeadTooLarge => Status::RequestHeaderFieldsTooLarge,
            Unavailable(_) => Status::ServiceUnavailable,
            TooManyConnections { .. } => Status::TooManyRequests,
            StorageFull => Status::InsufficientStorage,
            ProviderUnavailable(_) => Status::BadGateway,
            Internal(_) | DatabaseDamaged(_) => Status::InternalServerError,
        }
    }

    /// The full error envelope for a response carrying `request_id`, as JSON text.
    pub fn envelope(&self, request_id: &str) -> String {
        let envelope = ErrorEnvelope {
            success: false,
            error: ErrorBody {
                code: self.code(),
                message: self.message(),
                details: self.details(),
                timestamp: crate::time::now_rfc3339(),
                request_id,
            },
        };
        serde_json::to_string(&envelope)
            .unwrap_or_else(|_| r#"{"success":false,"error":{"code":"INTERNAL_ERROR"}}"#.to_owned())
    }
}

#[derive(serde::Serialize)]
struct ErrorEnvelope<'a> {
    success: bool,
    error: ErrorBody<'a>,
}

#[derive(serde::Serialize)]
struct ErrorBody<'a> {
    code: &'static str,
    message: String,
    details: Value,
    timestamp: String,
    request_id: &'a str,
}

impl<'r> Responder<'r, 'static> for ApiError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        match &self {
            ApiError::Internal(detail) | ApiError::DatabaseDamaged(detail) => log::error!(
                "request {} {} failed: {detail}",
                req.method(),
                req.uri().path()
            ),
            ApiError::StorageFull => log::error!(
                "request {} {} refused: the disk is full",
                req.method(),
                req.uri().path()
            ),
            ApiError::ProviderUnavailable(detail) => {
                log::warn!("identity provider unavailable: {detail}")
            }
            _ => {}
        }
        let request_id = RequestId::of(req);
        let body = self.envelope(request_id.as_str());
        let mut response = Response::build();
        response
            .status(self.status())
            .header(ContentType::JSON)
            .sized_body(body.len(), Cursor::new(body));
        match &self {
            ApiError::RateLimited { retry_after_secs } => {
                response.header(Header::new("Retry-After", retry_after_secs.to_string()));
            }
            ApiError::MethodNotAllowed { allow } => {
                response.header(Header::new("Allow", allow.join(", ")));
            }
            ApiError::RangeNotSatisfiable { size } => {
                response.header(Header::new("Content-Range", format!("bytes */{size}")));
            }
            ApiError::InvalidToken(_) => {
                response.header(Header::new("WWW-Authenticate", "Bearer"));
            }
            _ => {}
        }
        response.ok()
    }
}

/// Where a guard leaves its `ApiError` for the catcher to render: guards can only
/// answer a status, but the client deserves the precise error.
struct Stashed(std::sync::Mutex<Option<ApiError>>);

/// Keeps `err` for the catcher of this request; returns the status to fail with.
pub fn stash(req: &Request<'_>, err: ApiError) -> Status {
    let status = err.status();
    let slot = req.local_cache(|| Stashed(std::sync::Mutex::new(None)));
    if let Ok(mut slot) = slot.0.lock() {
        *slot = Some(err);
    }
    status
}

/// The error a guard stashed for this request, if any.
pub fn take_stashed(req: &Request<'_>) -> Option<ApiError> {
    let slot = req.local_cache(|| Stashed(std::sync::Mutex::new(None)));
    slot.0.lock().ok().and_then(|mut slot| slot.take())
}
