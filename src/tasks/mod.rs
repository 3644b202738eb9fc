//! Background workers, started at liftoff and stopped at shutdown. Their queues
//! are tables, so a restart resumes whatever was pending.

pub mod janitor;
pub mod retention;
pub mod thumbnails;
pub mod webhooks;

use rocket::fairing::AdHoc;

use crate::app::App;

/// Starts every background task once the server is up, and lets the webhook
/// deliveries in flight finish (for a grace period) when it stops.
pub fn fairing() -> AdHoc {
    AdHoc::on_liftoff("background tasks", |rocket| {
        Box::pin(async move {
            let Some(app) = rocket.state::<App>() else {
                log::error!("background tasks not started: no app state");
                return;
            };
            let shutdown = rocket.shutdown();
            tokio::spawn(crate::realtime::fanout::run(
                app.db.clone(),
                app.hub.clone(),
                app.events.subscribe(),
            ));
            tokio::spawn(janitor::run(
                app.db.clone(),
                app.files.clone(),
                shutdown.clone(),
            ));
            let deliveries = webhooks::Worker {
                db: app.db.clone(),
                sender: app.webhook_sender.clone(),
                queued: app.webhooks_queued.clone(),
                config: app.config.webhooks.clone(),
            };
            let handle = tokio::spawn(deliveries.run(shutdown.clone()));
            if let Ok(mut slot) = app.webhook_worker.lock() {
                *slot = Some(handle);
            }
            let expiry = retention::Retention {
                db: app.db.clone(),
                files: app.files.clone(),
                config: app.config.retention.clone(),
            };
            tokio::spawn(retention::run(expiry, shutdown.clone()));
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

/// Waits (up to the grace period and a little) for the webhook worker to let its
/// deliveries in flight finish, so that shutdown does not cut them.
pub fn drain_on_shutdown() -> AdHoc {
    AdHoc::on_shutdown("webhook deliveries in flight", |rocket| {
        Box::pin(async move {
            let handle = rocket
                .state::<App>()
                .and_then(|app| app.webhook_worker.lock().ok()?.take());
            if let Some(handle) = handle {
                let grace = webhooks::GRACE + std::time::Duration::from_secs(1);
                let _ = tokio::time::timeout(grace, handle).await;
            }
        })
    })
}
