//! Full-text search over the messages the actor may read.

use crate::db::within_budget;
use crate::domain::{access, Actor, Context};
use crate::error::{ApiError, ApiResult};
use crate::store::messages::Container;
use crate::store::search::{self, Hit, QueryRefused, Scope, MAX_PREFIXES, MAX_TERMS};

/// The longest query, in characters.
pub const QUERY_MAX: usize = 500;

/// What to search for, and where.
pub struct Query {
    pub q: String,
    pub room_id: Option<i64>,
    pub conversation_id: Option<i64>,
    pub before_id: Option<i64>,
    pub limit: u32,
}

/// The best matches `actor` may read, best first, and whether more exist. Narrowed
/// to a room or conversation, that place must be one the actor may read (404
/// otherwise, as everywhere).
pub async fn search(cx: &Context, actor: Actor, query: Query) -> ApiResult<(Vec<Hit>, bool)> {
    let q = query.q.trim();
    let len = q.chars().count();
    if len == 0 || len > QUERY_MAX {
        return Err(ApiError::length("q", 1, QUERY_MAX, len));
    }
    if query.room_id.is_some() && query.conversation_id.is_some() {
        return Err(ApiError::validation(
            "conversation_id",
            "search one room or one conversation, not both",
        ));
    }
    let fts = match search::fts_query(q) {
        Ok(Some(fts)) => fts,
        Ok(None) => return Ok((Vec::new(), false)), // nothing searchable: no match
        Err(QueryRefused::TooManyTerms) => {
            return Err(ApiError::validation(
                "q",
                format!("holds more than {MAX_TERMS} different terms"),
            ))
        }
        Err(QueryRefused::TooManyPrefixes) => {
            return Err(ApiError::validation(
                "q",
                format!("holds more than {MAX_PREFIXES} prefix* terms"),
            ))
        }
    };
    let scope = Scope {
        reader_id: actor.id,
        reader_is_admin: actor.is_admin,
        room_id: query.room_id,
        conversation_id: query.conversation_id,
        before_id: query.before_id,
        limit: query.limit,
    };
    let place = match (query.room_id, query.conversation_id) {
        (Some(room), _) => Some(Container::Room(room)),
        (_, Some(conversation)) => Some(Container::Conversation(conversation)),
        _ => None,
    };
    let budget = std::time::Duration::from_millis(cx.config.limits.search_budget_ms);
    let found = cx
        .db
        .read_heavy(move |c| -> ApiResult<_> {
            if let Some(place) = place {
                access::container(c, place, actor)?;
            }
            search::prepare(c)?;
            Ok(within_budget(c, budget, || search::search(c, &fts, scope))?)
        })
        .await?;
    found.ok_or_else(|| {
        ApiError::validation(
            "q",
            "is too broad to search in time: add words, or search one room or conversation",
        )
    })
}
