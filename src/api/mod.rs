//! HTTP: one file per resource, each with its routes.

pub mod admin;
pub mod auth;
pub mod client;
pub mod conversations;
pub mod docs;
pub mod exports;
pub mod files;
pub mod health;
pub mod hooks;
pub mod import;
pub mod invites;
pub mod limits;
pub mod members;
pub mod messages;
pub mod metrics;
pub mod notifications;
pub mod oauth;
pub mod reactions;
pub mod read_markers;
pub mod realtime;
pub mod rooms;
pub mod search;
pub mod stats;
pub mod streams;
pub mod tokens;
pub mod users;
pub mod webhooks;

use rocket::{Build, Rocket};

/// Mounts every route, with the platform API's aliases.
pub fn mount(rocket: Rocket<Build>) -> Rocket<Build> {
    rocket
        .mount("/", health::routes())
        .mount("/", metrics::routes())
        .mount("/", docs::routes())
        .mount("/", client::routes())
        .mount(
            "/",
            rocket::routes![
                crate::fairings::rate_limit::rate_limited,
                crate::fairings::query_guard::bad_query
            ],
        )
        .mount("/api/v1/auth", auth::routes())
        .mount("/auth", auth::routes())
        .mount("/api/v1/auth", oauth::routes())
        .mount("/auth", oauth::routes())
        .mount("/api/v1/users", users::routes())
        .mount("/api/users", users::alias_routes())
        .mount("/api/v1", rooms::routes())
        .mount("/api/v1", members::routes())
        .mount("/api/v1", messages::routes())
        .mount("/api/v1", reactions::routes())
        .mount("/api/v1", read_markers::routes())
        .mount("/api/v1", notifications::routes())
        .mount("/api/v1", invites::routes())
        .mount("/api/v1", tokens::routes())
        .mount("/api/v1", hooks::routes())
        .mount("/", hooks::post_routes())
        .mount("/api/v1", stats::routes())
        .mount("/api/v1", limits::routes())
        .mount("/api/v1", conversations::routes())
        .mount("/api/v1", admin::routes())
        .mount("/api/v1", import::routes())
        .mount("/api/v1", search::routes())
        .mount("/api/v1", files::routes())
        .mount("/api/v1", webhooks::routes())
        .mount("/api/v1", realtime::routes())
        .mount("/api/v1", streams::routes())
        .mount("/api/v1", exports::routes())
        .mount("/api", streams::alias_routes())
        .mount("/api/chat", rooms::alias_routes())
        .register("/", crate::http::catchers::catchers())
}
