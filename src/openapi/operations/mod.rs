//! Every operation of the API, as the document describes it. `tests/openapi.rs`
//! compares this list with the routes Rocket mounts, both ways: a route added
//! without its description here fails the tests.

mod accounts;
mod bots;
mod files;
mod messages;
mod notifications;
mod op;
mod rooms;
mod server;
mod streams;
mod team;
mod webhooks;

pub use op::Op;

pub fn all() -> Vec<Op> {
    let mut ops = Vec::new();
    ops.extend(accounts::accounts());
    ops.extend(team::team());
    ops.extend(bots::bots());
    ops.extend(rooms::rooms());
    ops.extend(messages::messages());
    ops.extend(messages::conversations());
    ops.extend(notifications::notifications());
    ops.extend(files::files());
    ops.extend(webhooks::webhooks());
    ops.extend(streams::streams());
    ops.extend(server::operations());
    ops
}
