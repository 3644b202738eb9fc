//! Fixed-window counters in PostgreSQL (`login_failures`), so that every node
//! counts against one limit: the same rules as [`super::WindowCounter`], each
//! hit checked and counted in one statement.

use super::window::Refused;
use crate::db::shared::Shared;
use crate::db::StoreError;

pub struct SharedWindows {
    shared: Shared,
    limit: u32,
    window_secs: u64,
}

/// Why a hit was not counted.
pub enum Hit {
    Refused(Refused),
    Failed(StoreError),
}

impl SharedWindows {
    pub fn new(shared: Shared, limit: u32, window_secs: u64) -> SharedWindows {
        SharedWindows {
            shared,
            limit,
            window_secs,
        }
    }

    /// Counts one hit on `key` if its window has room.
    pub async fn hit(&self, key: &str) -> Result<String, Hit> {
        let (limit, window) = (i64::from(self.limit), self.window_secs);
        let counted = key.to_owned();
        let (count, retry_after) = self
            .shared
            .run(move |c| {
                // `f` is the row before the statement; RETURNING sees the new one.
                let sql = format!(
                    "INSERT INTO login_failures AS f (key, window_start, failures)
                     VALUES (?1, now(), 1)
                     ON CONFLICT (key) DO UPDATE SET
                         window_start = CASE WHEN f.window_start <= now() - interval '{window} seconds'
                                             THEN now() ELSE f.window_start END,
                         failures = CASE WHEN f.window_start <= now() - interval '{window} seconds'
                                         THEN 1 ELSE f.failures + 1 END
                     RETURNING failures, ceil(extract(epoch FROM
                         f.window_start + interval '{window} seconds' - now()))::bigint"
                );
                let row: (i64, i64) =
                    c.query_row(&sql, [&counted], |r| Ok((r.get(0)?, r.get(1)?)))?;
                if row.0 > limit {
                    c.execute(
                        "UPDATE login_failures SET failures = failures - 1 WHERE key = ?1",
                        [&counted],
                    )?;
                }
                Ok(row)
            })
            .await
            .map_err(Hit::Failed)?;
        if count > limit {
            return Err(Hit::Refused(Refused {
                retry_after_secs: retry_after.max(1) as u64,
            }));
        }
        Ok(key.to_owned())
    }

    /// Gives back one hit counted on `key`.
    pub async fn refund(&self, key: &str) {
        let key = key.to_owned();
        let done = self
            .shared
            .run(move |c| {
                c.execute(
                    "UPDATE login_failures SET failures = failures - 1
                     WHERE key = ?1 AND failures > 0",
                    [&key],
                )?;
                Ok(())
            })
            .await;
        if let Err(e) = done {
            log::warn!("a login attempt could not be given back: {e}");
        }
    }

    pub async fn clear(&self, key: &str) {
        let key = key.to_owned();
        let done = self
            .shared
            .run(move |c| {
                c.execute("DELETE FROM login_failures WHERE key = ?1", [&key])?;
                Ok(())
            })
            .await;
        if let Err(e) = done {
            log::warn!("failed logins could not be forgiven: {e}");
        }
    }
}
