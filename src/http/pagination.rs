//! The list conventions shared by every list endpoint: `limit` (default 50, max 100,
//! larger values clamped), `offset` or 1-based `page` (`page` wins when both are
//! given), and the answer's `total`, `has_more` and `pagination` fields.

use rocket::form::FromForm;
use serde::Serialize;

use crate::error::ApiError;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 100;
/// The deepest page and offset anyone can ask for: beyond, lists are empty anyway,
/// and the arithmetic of larger numbers is where overflows hide.
pub const MAX_PAGE: u64 = 1_000_000;
pub const MAX_OFFSET: u64 = 100_000_000;

/// Raw list parameters; parsed by hand so that `limit=abc` is a clear 400.
#[derive(Debug, Default, FromForm)]
pub struct ListParams {
    pub limit: Option<String>,
    pub offset: Option<String>,
    pub page: Option<String>,
}

#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub limit: u32,
    pub offset: u64,
}

fn number(
    field: &str,
    value: &Option<String>,
    min: u64,
    max: u64,
) -> Result<Option<u64>, ApiError> {
    let Some(text) = value.as_deref() else {
        return Ok(None);
    };
    match text.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(ApiError::validation(
            field,
            format!("must be a whole number from {min} to {max}"),
        )),
    }
}

impl ListParams {
    pub fn window(&self) -> Result<Window, ApiError> {
        self.window_with_default(DEFAULT_LIMIT)
    }

    pub fn window_with_default(&self, default_limit: u32) -> Result<Window, ApiError> {
        let limit = number("limit", &self.limit, 1, u64::MAX)?
            .map(|n| n.min(MAX_LIMIT as u64) as u32)
            .unwrap_or(default_limit);
        let offset = match number("page", &self.page, 1, MAX_PAGE)? {
            Some(page) => (page - 1) * limit as u64,
            None => number("offset", &self.offset, 0, MAX_OFFSET)?.unwrap_or(0),
        };
        Ok(Window { limit, offset })
    }
}

/// An optional integer query parameter; anything but an integer is a 400.
pub fn optional_id(field: &str, value: Option<&str>) -> Result<Option<i64>, ApiError> {
    value
        .map(|v| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| ApiError::validation(field, "must be an integer"))
        })
        .transpose()
}

/// An optional boolean query parameter (`true|false|1|0`), false when absent.
pub fn flag(field: &str, value: Option<&str>) -> Result<bool, ApiError> {
    match value.map(str::trim) {
        None | Some("") | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(_) => Err(ApiError::validation(field, "must be true or false")),
    }
}

/// A page of users: user search and the admin's account list.
#[derive(Debug, Serialize)]
pub struct UserList {
    pub users: Vec<crate::store::users::User>,
    #[serde(flatten)]
    pub meta: ListMeta,
}

#[derive(Debug, Serialize)]
pub struct Pagination {
    pub page: u64,
    pub limit: u32,
    pub total: u64,
    pub pages: u64,
}

/// The fields every list answer carries next to its items.
#[derive(Debug, Serialize)]
pub struct ListMeta {
    pub total: u64,
    pub has_more: bool,
    pub pagination: Pagination,
}

impl ListMeta {
    pub fn new(window: Window, returned: usize, total: u64) -> ListMeta {
        let limit = window.limit.max(1);
        ListMeta {
            total,
            has_more: window.offset + (returned as u64) < total,
            pagination: Pagination {
                page: window.offset / limit as u64 + 1,
                limit,
                total,
                pages: total.div_ceil(limit as u64),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(limit: Option<&str>, offset: Option<&str>, page: Option<&str>) -> ListParams {
        ListParams {
            limit: limit.map(Into::into),
            offset: offset.map(Into::into),
            page: page.map(Into::into),
        }
    }

    #[test]
    fn defaults_clamps_and_pages() {
        let w = params(None, None, None).window().unwrap();
        assert_eq!((w.limit, w.offset), (50, 0));
        let w = params(Some("500"), Some("7"), None).window().unwrap();
        assert_eq!((w.limit, w.offset), (100, 7));
        let w = params(Some("20"), Some("7"), Some("3")).window().unwrap();
        assert_eq!((w.limit, w.offset), (20, 40));
        assert!(params(Some("0"), None, None).window().is_err());
        assert!(params(Some("abc"), None, None).window().is_err());
        assert!(params(None, Some("-1"), None).window().is_err());
        assert!(params(None, None, Some("0")).window().is_err());
        assert!(params(None, None, Some("1000001")).window().is_err());
        assert!(params(None, Some("100000001"), None).window().is_err());
        assert!(params(None, Some("18446744073709551615"), None)
            .window()
            .is_err());
        let w = params(Some("100"), None, Some("1000000")).window().unwrap();
        assert_eq!(w.offset, 99_999_900);
    }

    #[test]
    fn meta() {
        let m = ListMeta::new(
            Window {
                limit: 20,
                offset: 40,
            },
            20,
            150,
        );
        assert!(m.has_more);
        assert_eq!((m.pagination.page, m.pagination.pages), (3, 8));
        let m = ListMeta::new(
            Window {
                limit: 20,
                offset: 140,
            },
            10,
            150,
        );
        assert!(!m.has_more);
        let m = ListMeta::new(
            Window {
                limit: 20,
                offset: 0,
            },
            0,
            0,
        );
        assert_eq!((m.has_more, m.pagination.pages), (false, 0));
    }
}
