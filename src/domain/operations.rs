//! Operations: what the metrics scrape reads.

use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::metrics::Snapshot;
use crate::store::admin;

/// The metrics text, with the queues read now.
pub async fn metrics_text(app: &App) -> ApiResult<String> {
    let queues = app.db.read(admin::queues).await?;
    let snapshot = Snapshot {
        writer_queue_depth: app.journal.queue_depth(),
        websocket_connections: app.hub.connection_count(),
        webhook_deliveries_pending: queues.webhook_deliveries_pending,
        webhook_deliveries_failed: queues.webhook_deliveries_failed,
        thumbnails_pending: queues.thumbnails_pending,
    };
    app.metrics.render(&snapshot).map_err(ApiError::internal)
}
