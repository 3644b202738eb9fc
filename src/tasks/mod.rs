//! Background workers, started at liftoff and stopped at shutdown. Their queues
//! are tables, so a restart resumes whatever was pending.

pub mod janitor;
pub mod leases;
pub mod mail;
pub mod nodes;
pub mod push_delivery;
pub mod push_planner;
pub mod retention;
pub mod thumbnails;
pub mod wakeups;
pub mod webhooks;

use std::sync::Arc;

use crate::app::App;
use rocket::fairing::AdHoc;
pub use wakeups::{PushWakeups, Wakeups};

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
            let leases =
                leases::Leases::new(app.domain.journal.clone(), app.config.node.lease_secs);
            tokio::spawn(janitor::run(
                app.domain.journal.clone(),
                leases.clone(),
                app.domain.files.clone(),
                shutdown.clone(),
            ));
            if app.domain.db.is_postgres() {
                tokio::spawn(nodes::run(
                    app.domain.journal.clone(),
                    leases.clone(),
                    shutdown.clone(),
                ));
            }
            let deliveries = webhooks::Worker {
                journal: app.domain.journal.clone(),
                leases: leases.clone(),
                sender: app.domain.webhook_sender.clone(),
                queued: app.webhooks_queued.clone(),
                config: app.config.webhooks.clone(),
            };
            let handle = tokio::spawn(deliveries.run(shutdown.clone()));
            if let Ok(mut slot) = app.webhook_worker.lock() {
                *slot = Some(handle);
            }
            let expiry = retention::Retention {
                journal: app.domain.journal.clone(),
                leases: leases.clone(),
                config: app.config.retention.clone(),
            };
            tokio::spawn(retention::run(expiry, shutdown.clone()));
            if let Some(key) = &app.domain.vapid {
                let planner = push_planner::Planner {
                    journal: app.domain.journal.clone(),
                    hub: app.hub.clone(),
                    messages: app.push_wakeups.messages.clone(),
                    queued: app.push_wakeups.queued.clone(),
                    config: app.config.push.clone(),
                };
                tokio::spawn(planner.run(shutdown.clone()));
                let deliverer = push_delivery::Deliverer {
                    journal: app.domain.journal.clone(),
                    leases: leases.clone(),
                    key: key.clone(),
                    pusher: Arc::new(crate::push::send::Pusher::new(
                        app.config.push.allow_private_endpoints,
                        std::time::Duration::from_secs(app.config.push.timeout_secs),
                    )),
                    queued: app.push_wakeups.queued.clone(),
                    config: app.config.push.clone(),
                };
                tokio::spawn(deliverer.run(shutdown.clone()));
            }
            if let Some(mailer) = &app.mailer {
                let sender = mail::Worker {
                    journal: app.domain.journal.clone(),
                    leases: leases.clone(),
                    mailer: mailer.clone(),
                    queued: app.mail_queued.clone(),
                    max_attempts: app.config.smtp.as_ref().map_or(1, |s| s.max_attempts),
                    first_delay_secs: app
                        .config
                        .smtp
                        .as_ref()
                        .map_or(30, |s| s.retry_initial_delay_secs),
                };
                tokio::spawn(sender.run(shutdown.clone()));
            }
            if app.config.files.thumbnails {
                tokio::spawn(thumbnails::run(
                    app.domain.journal.clone(),
                    leases.clone(),
                    app.domain.files.clone(),
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
