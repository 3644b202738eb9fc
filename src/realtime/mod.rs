//! Real time over one WebSocket per client (`GET /api/v1/ws`): the hub of open
//! connections, the fan-out of committed events to those who may read them,
//! presence, and the life of one connection.

pub mod connection;
pub mod fanout;
pub mod hub;
pub mod presence;

pub use hub::Hub;
