//! Relay cursor pagination: argument checks (`first`/`last` within 1..=100) and opaque
//! cursors. Lists are keyset-paged, so a page costs the same however deep it is.

use async_graphql::SimpleObject;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Serialize, de::DeserializeOwned};

use super::error::ApiError;

/// The largest page a client may ask for.
pub const MAX_PAGE: i32 = 100;
/// The page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE: i32 = 20;

/// Which way a page reads from its cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `first` items after `after`.
    Forward,
    /// `last` items before `before`.
    Backward,
}

/// A checked page request; `cursor` is still encoded.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub direction: Direction,
    pub size: i64,
    pub cursor: Option<String>,
}

impl PageRequest {
    /// Checks the Relay arguments: one direction at a time, sizes within bounds.
    pub fn new(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Self, ApiError> {
        let bounded = |field: &str, n: i32| {
            if (1..=MAX_PAGE).contains(&n) {
                Ok(i64::from(n))
            } else {
                Err(ApiError::bad_input(
                    field,
                    format!("must be between 1 and {MAX_PAGE}"),
                ))
            }
        };
        match (first, after, last, before) {
            (_, Some(_), _, Some(_)) => Err(ApiError::bad_input(
                "before",
                "give either after or before, not both",
            )),
            (Some(_), _, Some(_), _) => Err(ApiError::bad_input(
                "last",
                "give either first or last, not both",
            )),
            (Some(_), _, _, Some(_)) => Err(ApiError::bad_input(
                "before",
                "use before with last, not with first",
            )),
            (_, Some(_), Some(_), _) => Err(ApiError::bad_input(
                "after",
                "use after with first, not with last",
            )),
            (None, None, Some(n), before) => Ok(Self {
                direction: Direction::Backward,
                size: bounded("last", n)?,
                cursor: before,
            }),
            (None, None, None, Some(before)) => Ok(Self {
                direction: Direction::Backward,
                size: i64::from(DEFAULT_PAGE),
                cursor: Some(before),
            }),
            (first, after, None, None) => Ok(Self {
                direction: Direction::Forward,
                size: bounded("first", first.unwrap_or(DEFAULT_PAGE))?,
                cursor: after,
            }),
        }
    }

    /// The decoded cursor, if any; `BAD_USER_INPUT` when it is not one of ours.
    pub fn decode_cursor<T: DeserializeOwned>(&self) -> Result<Option<T>, ApiError> {
        let field = match self.direction {
            Direction::Forward => "after",
            Direction::Backward => "before",
        };
        self.cursor
            .as_deref()
            .map(|c| {
                decode_cursor(c)
                    .ok_or_else(|| ApiError::bad_input(field, "not a valid cursor for this list"))
            })
            .transpose()
    }
}

/// Encodes a cursor: base64url of the position's JSON. Opaque to clients.
pub fn encode_cursor<T: Serialize>(position: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(position).unwrap_or_default())
}

/// The sequence inside an event log cursor, if it is one.
pub fn decode_sequence(cursor: &str) -> Option<i64> {
    decode_cursor::<i64>(cursor).filter(|sequence| *sequence >= 0)
}

/// The position a cursor made by [`encode_cursor`] holds.
pub fn decode_cursor_of<T: DeserializeOwned>(cursor: &str) -> Option<T> {
    decode_cursor(cursor)
}

fn decode_cursor<T: DeserializeOwned>(cursor: &str) -> Option<T> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.as_bytes()).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Where a page sits in its list.
#[derive(Debug, Clone, SimpleObject)]
pub struct PageInfo {
    /// Whether more items follow this page.
    pub has_next_page: bool,
    /// Whether items precede this page.
    pub has_previous_page: bool,
    /// The cursor of the first item of this page.
    pub start_cursor: Option<String>,
    /// The cursor of the last item of this page.
    pub end_cursor: Option<String>,
}

/// One item of a page and its cursor.
#[derive(SimpleObject)]
#[graphql(
    concrete(name = "AccountEdge", params(crate::graphql::types::account::Account)),
    concrete(name = "PayorEdge", params(crate::graphql::types::payor::Payor)),
    concrete(
        name = "TransactionEdge",
        params(crate::graphql::types::money::Transaction)
    )
)]
pub struct Edge<T: async_graphql::OutputType> {
    /// Where this item sits, for `after`/`before`.
    pub cursor: String,
    /// The item.
    pub node: T,
}

/// A page of a list (Relay cursor connection), keyset-paged.
#[derive(SimpleObject)]
#[graphql(
    concrete(
        name = "AccountConnection",
        params(crate::graphql::types::account::Account)
    ),
    concrete(name = "PayorConnection", params(crate::graphql::types::payor::Payor)),
    concrete(
        name = "TransactionConnection",
        params(crate::graphql::types::money::Transaction)
    )
)]
pub struct Connection<T>
where
    T: async_graphql::OutputType + Clone,
    Edge<T>: async_graphql::OutputType,
{
    /// The items with their cursors.
    pub edges: Vec<Edge<T>>,
    /// The items alone.
    pub nodes: Vec<T>,
    /// Where this page sits in the list.
    pub page_info: PageInfo,
}

impl<T> Connection<T>
where
    T: async_graphql::OutputType + Clone,
    Edge<T>: async_graphql::OutputType,
{
    /// A page from a fetch of up to `size + 1` rows in reading order.
    pub fn of<R>(
        request: &PageRequest,
        rows: Vec<R>,
        cursor_of: impl Fn(&R) -> String,
        item: impl Fn(R) -> T,
    ) -> Self {
        let (items, page_info) = page_of(request, rows, cursor_of);
        let edges: Vec<Edge<T>> = items
            .into_iter()
            .map(|(cursor, row)| Edge {
                cursor,
                node: item(row),
            })
            .collect();
        Self {
            nodes: edges.iter().map(|e| e.node.clone()).collect(),
            edges,
            page_info,
        }
    }
}

/// Turns a fetch of `size + 1` rows (in reading order) into the page and its `PageInfo`.
pub fn page_of<T>(
    request: &PageRequest,
    mut rows: Vec<T>,
    cursor_of: impl Fn(&T) -> String,
) -> (Vec<(String, T)>, PageInfo) {
    let more = rows.len() as i64 > request.size;
    rows.truncate(request.size as usize);
    if request.direction == Direction::Backward {
        rows.reverse();
    }
    let items: Vec<(String, T)> = rows.into_iter().map(|row| (cursor_of(&row), row)).collect();
    let from_cursor = request.cursor.is_some();
    let info = PageInfo {
        has_next_page: match request.direction {
            Direction::Forward => more,
            Direction::Backward => from_cursor,
        },
        has_previous_page: match request.direction {
            Direction::Forward => from_cursor,
            Direction::Backward => more,
        },
        start_cursor: items.first().map(|(c, _)| c.clone()),
        end_cursor: items.last().map(|(c, _)| c.clone()),
    };
    (items, info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_arguments_are_checked() {
        assert_eq!(PageRequest::new(None, None, None, None).unwrap().size, 20);
        assert_eq!(
            PageRequest::new(Some(100), None, None, None).unwrap().size,
            100
        );
        for bad in [
            PageRequest::new(Some(0), None, None, None),
            PageRequest::new(Some(101), None, None, None),
            PageRequest::new(Some(5), None, Some(5), None),
            PageRequest::new(None, Some("a".into()), None, Some("b".into())),
            PageRequest::new(Some(5), None, None, Some("b".into())),
            PageRequest::new(None, None, Some(-1), None),
        ] {
            assert_eq!(bad.unwrap_err().code(), "BAD_USER_INPUT");
        }
        let back = PageRequest::new(None, None, Some(10), Some("c".into())).unwrap();
        assert_eq!((back.direction, back.size), (Direction::Backward, 10));
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let cursor = encode_cursor(&("CREATED_AT", 42));
        let request = PageRequest::new(Some(1), Some(cursor), None, None).unwrap();
        assert_eq!(
            request.decode_cursor::<(String, i32)>().unwrap(),
            Some(("CREATED_AT".into(), 42))
        );
        let garbage = PageRequest::new(Some(1), Some("!!".into()), None, None).unwrap();
        assert!(garbage.decode_cursor::<(String, i32)>().is_err());
    }

    #[test]
    fn pages_know_their_neighbours() {
        let request = PageRequest::new(Some(2), None, None, None).unwrap();
        let (items, info) = page_of(&request, vec![1, 2, 3], |n| n.to_string());
        assert_eq!(items.iter().map(|(_, n)| *n).collect::<Vec<_>>(), [1, 2]);
        assert!(info.has_next_page && !info.has_previous_page);
        let request = PageRequest::new(None, None, Some(2), Some("x".into())).unwrap();
        let (items, info) = page_of(&request, vec![9, 8], |n| n.to_string());
        assert_eq!(items.iter().map(|(_, n)| *n).collect::<Vec<_>>(), [8, 9]);
        assert!(info.has_next_page && !info.has_previous_page);
    }
}
