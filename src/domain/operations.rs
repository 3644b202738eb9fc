//! Operations: what the metrics scrape reads.

use crate::domain::Context;
use crate::error::{ApiError, ApiResult};
use crate::metrics::{Metrics, Snapshot};
use crate::store::admin;

/// The metrics text of `metrics`, with the queues read now and the
/// `websocket_connections` the hub holds.
pub async fn metrics_text(
    cx: &Context,
    metrics: &Metrics,
    websocket_connections: usize,
) -> ApiResult<String> {
    let queues = cx.db.read(admin::queues).await?;
    let snapshot = Snapshot {
        writer_queue_depth: cx.journal.queue_depth(),
        websocket_connections,
        webhook_deliveries_pending: queues.webhook_deliveries_pending,
        webhook_deliveries_failed: queues.webhook_deliveries_failed,
        thumbnails_pending: queues.thumbnails_pending,
    };
    metrics.render(&snapshot).map_err(ApiError::internal)
}
