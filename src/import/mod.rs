//! Import from Slack and Mattermost (API §21): each export's reader makes
//! batches of the neutral `model`; `domain::import` applies them (in this
//! process, or on a running server through `POST /api/v1/admin/import`).

pub mod markup;
pub mod mattermost;
pub mod model;
pub mod slack;
pub mod source;
