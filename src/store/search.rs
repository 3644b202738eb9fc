//! Full-text search of messages: over FTS5's index (`messages_fts`) on SQLite, the
//! `search_vector` column on PostgreSQL. What the user types is turned into the
//! query by `search_query` (never syntax); access is decided in the same
//! statement, against the rows as they are at that moment.

use crate::db::StoreError;
use crate::sql::{params, Connection, Dialect, OptionalExtension};
use crate::store::messages::{self, Message};
use crate::store::search_query::highlight_html;
pub use crate::store::search_query::{
    fts_query, mark_terms, tsquery_of_fts, QueryRefused, MAX_PREFIXES, MAX_TERMS,
};

/// Where to search and how much.
#[derive(Debug, Clone, Copy)]
pub struct Scope {
    pub reader_id: i64,
    pub reader_is_admin: bool,
    pub room_id: Option<i64>,
    pub conversation_id: Option<i64>,
    pub before_id: Option<i64>,
    pub limit: u32,
}

impl Scope {
    /// The values of the `readable!` filter's parameters ?2 to ?5.
    fn filter(&self) -> (i64, bool, Option<i64>, Option<i64>) {
        (
            self.reader_id,
            self.reader_is_admin,
            self.room_id,
            self.conversation_id,
        )
    }
}

/// A hit: the message and its highlighted text.
pub struct Hit {
    pub message: Message,
    pub highlight: String,
}

/// How many of the newest matches are ranked. Ranking scores every candidate, and
/// a word found in every message of a large server would make each search read
/// them all (over 10 s for a million); the newest matches are the ones people look
/// for, and `before_id` moves the window further back.
pub const RANKED_WINDOW: i64 = 2_000;

/// What the reader may read, and where the search is narrowed to: the same filter
/// for every query of a search, so that none of them (the window, the check for
/// older matches) can tell whether a word exists where the reader cannot look.
/// Parameters: ?2 reader, ?3 reader is admin, ?4 room, ?5 conversation.
macro_rules! readable {
    () => {
        " m.deleted_at IS NULL
           AND (m.room_id = ?4 OR ?4 IS NULL)
           AND (m.conversation_id = ?5 OR ?5 IS NULL)
           -- Computed once per query (not once per match).
           AND (m.room_id IN (SELECT r.id FROM rooms r WHERE r.is_public = 1 OR ?3
                              UNION SELECT rm.room_id FROM room_members rm WHERE rm.user_id = ?2)
                OR m.conversation_id IN (SELECT p.conversation_id FROM conversation_participants p
                                         WHERE p.user_id = ?2)) "
    };
}

/// The matching of `?1` in each backend's SQL: FTS5's index on SQLite; the
/// `search_vector` column and a `tsquery` (see [`tsquery_of_fts`]) on PostgreSQL.
struct Matching {
    /// FROM and the match condition, before `AND` + more conditions.
    from_where: &'static str,
    /// The matched message's id.
    id: &'static str,
    /// The text, with FTS5's marks around matches on SQLite (PostgreSQL's
    /// `ts_headline` parses text differently from the index: [`mark_terms`]).
    marked: &'static str,
    /// Best first.
    rank: &'static str,
}

const FTS5: Matching = Matching {
    from_where: "messages_fts f JOIN messages m ON m.id = f.rowid WHERE messages_fts MATCH ?1",
    id: "f.rowid",
    marked: "highlight(messages_fts, 0, char(1), char(2))",
    rank: "bm25(messages_fts)",
};

const TSVECTOR: Matching = Matching {
    from_where: "messages m WHERE m.search_vector @@ to_tsquery('veza', ?1)",
    id: "m.id",
    marked: "m.content",
    rank: "ts_rank(m.search_vector, to_tsquery('veza', ?1)) DESC",
};

fn matching(conn: &Connection) -> &'static Matching {
    match conn.dialect() {
        Dialect::Sqlite => &FTS5,
        Dialect::Postgres => &TSVECTOR,
    }
}

/// The query for `conn`'s backend: FTS5's as it is, PostgreSQL's `tsquery` made
/// from it.
fn backend_query(conn: &Connection, fts: &str) -> String {
    match conn.dialect() {
        Dialect::Sqlite => fts.to_owned(),
        Dialect::Postgres => tsquery_of_fts(fts),
    }
}

/// Prepares the statements of a search, so that its time budget is spent
/// running them (PostgreSQL's `statement_timeout` counts each message).
pub fn prepare(conn: &Connection) -> Result<(), StoreError> {
    let m = matching(conn);
    for sql in [floor_sql(m), older_sql(m), search_sql(m)] {
        conn.prepare_cached(&sql)?;
    }
    if conn.dialect() == Dialect::Postgres {
        // A session reads the accent rules on first use: not on the budget.
        conn.query_row("SELECT numnode(to_tsquery('veza', 'é'))", [], |r| {
            r.get::<_, i64>(0)
        })?;
    }
    Ok(())
}

fn floor_sql(m: &Matching) -> String {
    format!(
        "SELECT {id} FROM {from_where} AND {id} < ?6 AND {readable}
         ORDER BY {id} DESC LIMIT 1 OFFSET ?7",
        id = m.id,
        from_where = m.from_where,
        readable = readable!(),
    )
}

fn older_sql(m: &Matching) -> String {
    format!(
        "SELECT EXISTS (SELECT 1 FROM {from_where} AND {id} < ?6 AND {readable})",
        id = m.id,
        from_where = m.from_where,
        readable = readable!(),
    )
}

fn search_sql(m: &Matching) -> String {
    format!(
        "SELECT {id} AS id, {marked} AS marked
         FROM {from_where} AND {id} >= ?8 AND {id} < ?6 AND {readable}
         ORDER BY {rank}, m.id DESC
         LIMIT ?7",
        id = m.id,
        marked = m.marked,
        from_where = m.from_where,
        readable = readable!(),
        rank = m.rank,
    )
}

/// The lowest id among the newest [`RANKED_WINDOW`] readable matches older than
/// `before`, or `None` when there are fewer (then every match is ranked). The
/// index is walked newest first for this, without scoring anything.
fn window_floor(conn: &Connection, query: &str, scope: &Scope) -> Result<Option<i64>, StoreError> {
    let before = scope.before_id.unwrap_or(i64::MAX);
    let (reader, admin, room, conversation) = scope.filter();
    Ok(conn
        .prepare_cached(&floor_sql(matching(conn)))?
        .query_row(
            params![
                query,
                reader,
                admin,
                room,
                conversation,
                before,
                RANKED_WINDOW - 1
            ],
            |r| r.get(0),
        )
        .optional()?)
}

/// Whether any readable match is older than `id` (the window's floor).
fn older_match_exists(
    conn: &Connection,
    query: &str,
    scope: &Scope,
    id: i64,
) -> Result<bool, StoreError> {
    let (reader, admin, room, conversation) = scope.filter();
    Ok(conn
        .prepare_cached(&older_sql(matching(conn)))?
        .query_row(params![query, reader, admin, room, conversation, id], |r| {
            r.get(0)
        })?)
}

/// The best matches of `fts` that the reader may read now, best first (bm25 on
/// SQLite, `ts_rank` on PostgreSQL), ties newest first, among the newest
/// [`RANKED_WINDOW`] readable matches older than `scope.before_id`; and whether
/// more exist (in the window or older).
pub fn search(conn: &Connection, fts: &str, scope: Scope) -> Result<(Vec<Hit>, bool), StoreError> {
    let query = backend_query(conn, fts);
    let before = scope.before_id.unwrap_or(i64::MAX);
    let floor = window_floor(conn, &query, &scope)?;
    let (reader, admin, room, conversation) = scope.filter();
    let mut stmt = conn.prepare_cached(&search_sql(matching(conn)))?;
    let rows = stmt
        .query_map(
            params![
                query,
                reader,
                admin,
                room,
                conversation,
                before,
                scope.limit + 1,
                floor.unwrap_or(0)
            ],
            |r| Ok((r.get::<_, i64>("id")?, r.get::<_, String>("marked")?)),
        )?
        .collect::<Result<Vec<_>, _>>()?;
    let has_more = rows.len() > scope.limit as usize
        || match floor {
            Some(floor) => older_match_exists(conn, &query, &scope, floor)?,
            None => false,
        };
    let mut rows = rows;
    rows.truncate(scope.limit as usize);
    if conn.dialect() == Dialect::Postgres {
        for (_, text) in rows.iter_mut() {
            *text = mark_terms(text, fts);
        }
    }
    let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    let mut found = messages::by_ids(conn, &ids)?;
    let hits = rows
        .iter()
        .filter_map(|(id, marked)| {
            let at = found.iter().position(|m| m.id == *id)?;
            Some(Hit {
                message: found.swap_remove(at),
                highlight: highlight_html(marked),
            })
        })
        .collect();
    Ok((hits, has_more))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Posts `content` by `author` in room `room`, straight through the store.
    fn send_to(conn: &Connection, room: i64, author: i64, content: &str) -> i64 {
        use crate::store::messages::Container;
        use crate::store::new_messages::{insert, NewMessage};
        let new = NewMessage {
            container: Container::Room(room),
            author_id: author,
            author_name: "x".into(),
            author_avatar: None,
            author_kind: "user",
            content: content.into(),
            parent_message_id: None,
            metadata: None,
            mentioned_names: Vec::new(),
            idempotency_key: None,
        };
        insert(conn, new).unwrap().id
    }

    #[test]
    fn ranking_looks_at_the_newest_window_and_before_id_moves_it_back() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::db::schema::migrate(&mut conn).unwrap();
        conn.execute_batch(
            "INSERT INTO users (uuid, username, email, password_hash, created_at, updated_at)
                 VALUES ('u', 'ann', 'a@x.io', 'h', 't', 't');
             INSERT INTO rooms (uuid, name, name_key, is_public, owner_id, created_at, updated_at)
                 VALUES ('r', 'lobby', 'lobby', 1, 1, 't', 't');",
        )
        .unwrap();
        let send = |content: &str| send_to(&conn, 1, 1, content);
        let best_but_old = send("walrus walrus walrus");
        let filler = "the walrus went on and on about many other things that day";
        let newest: Vec<i64> = (0..RANKED_WINDOW).map(|_| send(filler)).collect();
        let scope = Scope {
            reader_id: 1,
            reader_is_admin: false,
            room_id: None,
            conversation_id: None,
            before_id: None,
            limit: 3,
        };
        let fts = fts_query("walrus").unwrap().unwrap();
        let (hits, has_more) = search(&conn, &fts, scope).unwrap();
        let ids: Vec<i64> = hits.iter().map(|h| h.message.id).collect();
        assert_eq!(
            ids,
            newest[newest.len() - 3..]
                .iter()
                .rev()
                .copied()
                .collect::<Vec<_>>()
        );
        assert!(has_more);
        let back = Scope {
            before_id: Some(newest[0]),
            ..scope
        };
        let (hits, has_more) = search(&conn, &fts, back).unwrap();
        assert_eq!(hits[0].message.id, best_but_old, "the next window holds it");
        assert!(!has_more);
    }

    #[test]
    fn has_more_never_counts_what_the_reader_cannot_read() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::db::schema::migrate(&mut conn).unwrap();
        conn.execute_batch(
            "INSERT INTO users (uuid, username, email, password_hash, created_at, updated_at)
                 VALUES ('a', 'attacker', 'a@x.io', 'h', 't', 't'),
                        ('v', 'victim', 'v@x.io', 'h', 't', 't');
             INSERT INTO rooms (uuid, name, name_key, is_public, owner_id, created_at, updated_at)
                 VALUES ('r1', 'open', 'open', 1, 1, 't', 't'),
                        ('r2', 'secret', 'secret', 0, 2, 't', 't');
             INSERT INTO room_members (room_id, user_id, role, joined_at)
                 VALUES (1, 1, 'owner', 't'), (2, 2, 'owner', 't');",
        )
        .unwrap();
        let send = |room: i64, author: i64, content: &str| send_to(&conn, room, author, content);
        // Nearly a window of the victim's private matches, then ten of the
        // attacker's own: counting the hidden ones would fill the window, move its
        // floor and answer has_more about messages the attacker cannot read.
        for _ in 0..RANKED_WINDOW - 5 {
            send(2, 2, "the platypus plan");
        }
        let own: Vec<i64> = (0..10).map(|_| send(1, 1, "platypus")).collect();
        let fts = fts_query("platypus").unwrap().unwrap();
        let scope = Scope {
            reader_id: 1,
            reader_is_admin: false,
            room_id: None,
            conversation_id: None,
            before_id: None,
            limit: 100,
        };
        let (hits, has_more) = search(&conn, &fts, scope).unwrap();
        assert_eq!(hits.len(), 10);
        assert!(!has_more, "the private matches are not counted");
        let stepped = Scope {
            before_id: Some(own[5]),
            limit: 2,
            ..scope
        };
        let (hits, has_more) = search(&conn, &fts, stepped).unwrap();
        let ids: Vec<i64> = hits.iter().map(|h| h.message.id).collect();
        assert_eq!(ids, [own[4], own[3]]);
        assert!(has_more, "three of the attacker's own are older");
        let past_all = Scope {
            before_id: Some(own[0]),
            ..scope
        };
        let (hits, has_more) = search(&conn, &fts, past_all).unwrap();
        assert!(hits.is_empty() && !has_more);
    }
}
