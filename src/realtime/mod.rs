//! Real time over one WebSocket per client (`GET /api/v1/ws`): the hub of open
//! connections (a subscriber of the journal: it delivers each committed event's
//! frame to those who may read it), presence, and the life of one connection.

pub mod connection;
pub mod hub;
pub mod presence;

pub use hub::Hub;
