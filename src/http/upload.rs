//! Reading a multipart upload (`file`, `room_id` or `conversation_id`,
//! `description`) as it streams in: the file part goes to a staging file as it
//! arrives, never wholly in memory; the form's other parts are small text.
//! Above the upload limit the answer is 413 and nothing stays on disk.

use rocket::data::{Data, ToByteUnit};
use rocket::http::ContentType;
use rocket::request::{FromRequest, Outcome, Request};

use crate::error::ApiError;
use crate::files::staging::StagingError;
use crate::files::{FileStore, Staged, Staging};
use crate::http::pagination::optional_id;

/// Room left for the form's boundaries, part headers and small fields.
pub const FORM_OVERHEAD: u64 = 64 * 1024;
/// Largest text field (a description is at most 500 characters).
const TEXT_FIELD_MAX: u64 = 8 * 1024;
const FIELDS: [&str; 4] = ["file", "room_id", "conversation_id", "description"];

/// The request head of an upload: its content type and declared length.
pub struct UploadHead {
    boundary: Option<String>,
    content_length: Option<u64>,
    gzip: bool,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for UploadHead {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let boundary = req
            .content_type()
            .filter(|ct| ct.is_form_data())
            .and_then(|ct: &ContentType| ct.param("boundary"))
            .map(str::to_owned);
        let content_length = req
            .headers()
            .get_one("Content-Length")
            .and_then(|v| v.trim().parse().ok());
        Outcome::Success(UploadHead {
            boundary,
            content_length,
            gzip: crate::http::body::is_gzip(req),
        })
    }
}

/// An upload form, its file staged.
pub struct UploadForm {
    pub staged: Staged,
    pub file_name: Option<String>,
    pub room_id: Option<i64>,
    pub conversation_id: Option<i64>,
    pub description: Option<String>,
}

/// What the reader needs to know while the form streams in.
pub struct UploadLimits<'a> {
    pub store: &'a FileStore,
    pub max_bytes: u64,
}

/// Reads an upload form. `before_file` runs when the file part begins, with the
/// room or conversation named so far, so that a refused upload is refused before
/// its bytes are received.
pub async fn read_form<F, Fut>(
    head: UploadHead,
    data: Data<'_>,
    limits: UploadLimits<'_>,
    before_file: F,
) -> Result<UploadForm, ApiError>
where
    F: Fn(Option<i64>, Option<i64>) -> Fut,
    Fut: std::future::Future<Output = Result<(), ApiError>>,
{
    let too_large = ApiError::PayloadTooLarge {
        limit_bytes: limits.max_bytes,
    };
    let Some(boundary) = head.boundary else {
        return Err(ApiError::validation(
            "Content-Type",
            "must be multipart/form-data with a boundary",
        ));
    };
    let stream_max = limits.max_bytes + FORM_OVERHEAD;
    if head.content_length.is_some_and(|n| n > stream_max) {
        return Err(too_large);
    }
    let constraints = multer::Constraints::new()
        .allowed_fields(FIELDS.to_vec())
        .size_limit(
            multer::SizeLimit::new()
                .whole_stream(stream_max)
                .per_field(TEXT_FIELD_MAX)
                .for_field("file", limits.max_bytes),
        );
    // One byte more than the form may hold, so that multer, not a silent cut,
    // notices an oversize body.
    let body = crate::http::body::body_reader(head.gzip, data, (stream_max + 1).bytes());
    let mut form = multer::Multipart::with_reader_with_constraints(body, boundary, constraints);

    let mut staged = None;
    let mut file_name = None;
    let (mut room_id, mut conversation_id, mut description) = (None, None, None);
    while let Some(mut field) = form
        .next_field()
        .await
        .map_err(|e| form_error(e, &too_large))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            if staged.is_some() {
                return Err(ApiError::validation("file", "only one file per upload"));
            }
            if room_id.is_some() && conversation_id.is_some() {
                return Err(both_places());
            }
            before_file(room_id, conversation_id).await?;
            file_name = field.file_name().map(str::to_owned);
            let mut staging = Staging::start(limits.store, limits.max_bytes)
                .await
                .map_err(|e| ApiError::io("cannot stage an upload", &e))?;
            while let Some(chunk) = field.chunk().await.map_err(|e| form_error(e, &too_large))? {
                staging.push(&chunk).await.map_err(|e| match e {
                    StagingError::TooLarge => too_large.clone(),
                    StagingError::Io(e) => ApiError::io("cannot stage", &e),
                })?;
            }
            staged = Some(
                staging
                    .finish()
                    .await
                    .map_err(|e| ApiError::io("cannot stage", &e))?,
            );
            continue;
        }
        let text = field.text().await.map_err(|e| form_error(e, &too_large))?;
        // An empty field is an absent one (forms send empty inputs).
        let given = Some(text.as_str()).filter(|t| !t.trim().is_empty());
        match name.as_str() {
            "room_id" => once(&mut room_id, optional_id(&name, given)?, &name)?,
            "conversation_id" => once(&mut conversation_id, optional_id(&name, given)?, &name)?,
            _ => once(&mut description, given.map(str::to_owned), &name)?,
        }
    }
    let Some(staged) = staged else {
        return Err(ApiError::validation(
            "file",
            "required: the file part of the form",
        ));
    };
    if room_id.is_some() && conversation_id.is_some() {
        return Err(both_places());
    }
    Ok(UploadForm {
        staged,
        file_name,
        room_id,
        conversation_id,
        description,
    })
}

fn both_places() -> ApiError {
    ApiError::validation("room_id", "give a room_id or a conversation_id, not both")
}

/// Sets a form field given at most once.
fn once<T>(slot: &mut Option<T>, value: Option<T>, field: &str) -> Result<(), ApiError> {
    if slot.is_some() {
        return Err(ApiError::validation(field, "given more than once"));
    }
    *slot = value;
    Ok(())
}

/// A multipart failure as the client's error.
fn form_error(e: multer::Error, too_large: &ApiError) -> ApiError {
    match e {
        multer::Error::StreamSizeExceeded { .. } => too_large.clone(),
        multer::Error::FieldSizeExceeded { field_name, .. } => match field_name.as_deref() {
            Some("file") | None => too_large.clone(),
            Some(name) => ApiError::validation(name, "too long"),
        },
        multer::Error::UnknownField { field_name } => ApiError::validation(
            field_name.as_deref().unwrap_or("form"),
            "unknown form field; expected file, room_id, conversation_id or description",
        ),
        other => ApiError::validation("file", format!("malformed multipart body: {other}")),
    }
}
