//! `GET /api/v1/users/me/export` and `GET /api/v1/rooms/{id}/export` (API.md §13):
//! one JSON document each, in the success envelope, written as it is read: the
//! messages go out a page at a time, so a large room never sits in memory.

use rocket::futures::stream::{self, Stream};
use rocket::http::ContentType;
use rocket::request::Request;
use rocket::response::stream::TextStream;
use rocket::response::{self, Responder, Response};
use rocket::{get, routes, Route, State};
use serde::Serialize;

use crate::app::App;
use crate::auth::guard::AuthUser;
use crate::domain::exports::{self, MessagePages};
use crate::error::{ApiError, ApiResult};

pub fn routes() -> Vec<Route> {
    routes![user_export, room_export]
}

/// The caller's own data: profile, rooms, conversations, files and messages.
#[get("/users/me/export")]
async fn user_export(user: AuthUser, app: &State<App>) -> ApiResult<JsonDownload> {
    let (export, pages) = exports::user(&app.domain, user.actor()).await?;
    JsonDownload::new(format!("veza-{}.json", user.username), &export, pages)
}

/// A room with its members and messages: its owner and admins.
#[get("/rooms/<id>/export")]
async fn room_export(id: i64, user: AuthUser, app: &State<App>) -> ApiResult<JsonDownload> {
    let (export, pages) = exports::room(&app.domain, user.actor(), id).await?;
    JsonDownload::new(format!("veza-room-{id}.json"), &export, pages)
}

/// A JSON document saved as a file: `{"success":true,"data":{…head…,"messages":[…]}}`.
pub struct JsonDownload {
    filename: String,
    /// The envelope and the head's fields, up to the opening of `messages`.
    opening: String,
    pages: MessagePages,
}

impl JsonDownload {
    fn new(filename: String, head: &impl Serialize, pages: MessagePages) -> ApiResult<Self> {
        let head = serde_json::to_string(head)
            .map_err(|e| ApiError::internal(format!("serialise an export: {e}")))?;
        // The head is an object: reopen it to add the messages.
        let fields = head
            .strip_suffix('}')
            .ok_or_else(|| ApiError::internal("an export's head is not an object"))?;
        let opening = format!(r#"{{"success":true,"data":{fields},"messages":["#);
        Ok(JsonDownload {
            filename,
            opening,
            pages,
        })
    }

    fn into_stream(self) -> impl Stream<Item = String> + Send {
        enum Step {
            Opening(String, MessagePages),
            Pages(MessagePages, bool),
            Done,
        }
        stream::unfold(Step::Opening(self.opening, self.pages), |step| async move {
            match step {
                Step::Opening(opening, pages) => Some((opening, Step::Pages(pages, false))),
                Step::Pages(mut pages, mut written) => match pages.next().await {
                    Ok(page) if page.is_empty() => Some(("]}}".to_owned(), Step::Done)),
                    Ok(page) => {
                        let mut chunk = String::new();
                        for message in &page {
                            if let Ok(json) = serde_json::to_string(message) {
                                if written {
                                    chunk.push(',');
                                }
                                chunk.push_str(&json);
                                written = true;
                            }
                        }
                        Some((chunk, Step::Pages(pages, written)))
                    }
                    Err(e) => {
                        // The 200 is gone already: the document ends unclosed, which
                        // no JSON reader takes for a whole export.
                        log::error!("export cut short: {e}");
                        None
                    }
                },
                Step::Done => None,
            }
        })
    }
}

impl<'r> Responder<'r, 'r> for JsonDownload {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'r> {
        let disposition = format!("attachment; filename=\"{}\"", self.filename);
        let body = TextStream(self.into_stream()).respond_to(req)?;
        Response::build_from(body)
            .header(ContentType::JSON)
            .raw_header("Content-Disposition", disposition)
            .ok()
    }
}
