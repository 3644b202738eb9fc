//! Background workers, started at liftoff and stopped at shutdown. Their queues
//! are tables, so a restart resumes whatever was pending.

pub mod janitor;
pub mod thumbnails;

use rocket::fairing::AdHoc;

use crate::app::App;

/// Starts every background task once the server is up.
pub fn fairing() -> AdHoc {
    AdHoc::on_liftoff("background tasks", |rocket| {
        Box::pin(async move {
            let Some(app) = rocket.state::<App>() else {
                log::error!("background tasks not started: no app state");
                return;
            };
            let shutdown = rocket.shutdown();
            tokio::spawn(janitor::run(
                app.db.clone(),
                app.files.clone(),
                shutdown.clone(),
            ));
            if app.config.files.thumbnails {
                tokio::spawn(thumbnails::run(
                    app.db.clone(),
                    app.files.clone(),
                    app.config.limits.thumbnail_max_pixels,
                    shutdown,
                ));
            }
        })
    })
}
