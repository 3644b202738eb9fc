//! What the events thread is handed (by the writer, `announce` and the
//! listener of other nodes' changes).

use std::sync::Arc;

use crate::event::Committed;

/// What the events thread is handed.
pub(super) enum Item {
    /// A change committed here; `seq` is its row among the changes other nodes
    /// follow, when it has one.
    Local {
        seq: Option<i64>,
        changes: Arc<[Committed]>,
    },
    /// Announced here, never written (a typing notice).
    Announced(Arc<[Committed]>),
    /// Announced by another node.
    Heard(Arc<[Committed]>),
    /// Other nodes may have committed changes: look.
    Wake,
}
