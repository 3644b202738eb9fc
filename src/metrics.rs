//! Metrics in the Prometheus text format (`GET /metrics`, API.md §13), kept with
//! the `prometheus` crate: requests by route template and status, their latency,
//! the database writer's queue and batches, WebSocket connections, and the
//! background queues (webhook deliveries, thumbnails) read at scrape time.

use std::time::Duration;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

/// Label of requests that matched no route: every unknown path shares it, so
/// clients cannot add label values (and series) by inventing paths.
pub const UNMATCHED: &str = "unmatched";

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    writer_queue: IntGauge,
    websocket_connections: IntGauge,
    webhook_deliveries: IntGaugeVec,
    thumbnails_pending: IntGauge,
}

/// The values read when a scrape comes.
pub struct Snapshot {
    pub writer_queue_depth: usize,
    pub websocket_connections: usize,
    pub webhook_deliveries_pending: i64,
    pub webhook_deliveries_failed: i64,
    pub thumbnails_pending: i64,
}

impl Metrics {
    /// A registry holding Veza's metrics and `writer_batches` (the writer's own
    /// histogram of batch sizes).
    pub fn new(writer_batches: prometheus::Histogram) -> prometheus::Result<Metrics> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("veza_http_requests_total", "HTTP requests answered."),
            &["method", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "veza_http_request_duration_seconds",
                "Time from a request's head to its answer's head.",
            )
            .buckets(vec![
                0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
            ]),
            &["method", "route"],
        )?;
        let writer_queue = IntGauge::new(
            "veza_writer_queue_depth",
            "Writes waiting for the database writer.",
        )?;
        let websocket_connections = IntGauge::new(
            "veza_websocket_connections",
            "Open real-time (WebSocket) connections.",
        )?;
        let webhook_deliveries = IntGaugeVec::new(
            Opts::new(
                "veza_webhook_deliveries",
                "Webhook deliveries still to make (pending) or given up (failed).",
            ),
            &["status"],
        )?;
        let thumbnails_pending = IntGauge::new(
            "veza_thumbnails_pending",
            "Images waiting for their thumbnail.",
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(writer_queue.clone()))?;
        registry.register(Box::new(writer_batches))?;
        registry.register(Box::new(websocket_connections.clone()))?;
        registry.register(Box::new(webhook_deliveries.clone()))?;
        registry.register(Box::new(thumbnails_pending.clone()))?;
        Ok(Metrics {
            registry,
            requests,
            latency,
            writer_queue,
            websocket_connections,
            webhook_deliveries,
            thumbnails_pending,
        })
    }

    /// Counts one answered request. `route` is the route's template (never the
    /// path a client sent) or [`UNMATCHED`].
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let code = status.to_string();
        self.requests
            .with_label_values(&[method, route, code.as_str()])
            .inc();
        self.latency
            .with_label_values(&[method, route])
            .observe(elapsed.as_secs_f64());
    }

    /// The text exposition of every metric, with the scrape-time values set.
    pub fn render(&self, now: &Snapshot) -> Result<String, String> {
        self.writer_queue.set(now.writer_queue_depth as i64);
        self.websocket_connections
            .set(now.websocket_connections as i64);
        self.webhook_deliveries
            .with_label_values(&["pending"])
            .set(now.webhook_deliveries_pending);
        self.webhook_deliveries
            .with_label_values(&["failed"])
            .set(now.webhook_deliveries_failed);
        self.thumbnails_pending.set(now.thumbnails_pending);
        let mut text = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut text)
            .map_err(|e| e.to_string())?;
        String::from_utf8(text).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_template_and_status() {
        let batches = prometheus::Histogram::with_opts(HistogramOpts::new("b", "b")).unwrap();
        let metrics = Metrics::new(batches).unwrap();
        let ms = Duration::from_millis(3);
        metrics.observe_request("GET", "/api/v1/rooms/<id>", 200, ms);
        metrics.observe_request("GET", "/api/v1/rooms/<id>", 200, ms);
        metrics.observe_request("GET", UNMATCHED, 404, ms);
        let text = metrics
            .render(&Snapshot {
                writer_queue_depth: 3,
                websocket_connections: 2,
                webhook_deliveries_pending: 5,
                webhook_deliveries_failed: 1,
                thumbnails_pending: 0,
            })
            .unwrap();
        assert!(text.contains(
            r#"veza_http_requests_total{method="GET",route="/api/v1/rooms/<id>",status="200"} 2"#
        ), "{text}");
        assert!(
            text.contains(r#"route="unmatched",status="404"} 1"#),
            "{text}"
        );
        assert!(text.contains("veza_writer_queue_depth 3"), "{text}");
        assert!(
            text.contains(r#"veza_webhook_deliveries{status="pending"} 5"#),
            "{text}"
        );
        assert!(text.contains("# TYPE veza_http_request_duration_seconds histogram"));
    }
}
