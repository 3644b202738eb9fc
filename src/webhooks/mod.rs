//! Webhooks: event names and their aliases, the body as receivers re-serialise it,
//! signatures, where a webhook may deliver, and sending one delivery.

pub mod js_json;
pub mod names;
pub mod outbox;
pub mod send;
pub mod sign;
pub mod target;
