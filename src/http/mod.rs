//! HTTP plumbing shared by every handler in `api/`: body parsing, answers and the
//! envelope, errors as HTTP (statuses, the error envelope), list parameters, the
//! caller's network details, and the catchers.
//! Nothing here knows a resource.

pub mod body;
pub mod catchers;
pub mod client;
pub mod download;
pub mod error;
pub mod pagination;
pub mod request_id;
pub mod respond;
pub mod upload;
