//! Answering a query from the index: find every match, rank, and mark up
//! the best few.
//!
//! Each alternative of the query (see [`crate::query`]) is a phrase of
//! constraints; its matches are the positions where consecutive cells meet
//! each constraint in turn, found by intersecting posting lists shifted by
//! the cell offset (starting from the shortest list, galloping through the
//! others). Hits rank by where they matched, title over keyword over body;
//! within a field, a match nearer the start first (`hy` should list
//! 婚姻登记… before 协议离婚要…, where 婚要 only happens to fit); then by
//! library order, which is stable and is the order editors chose.

use std::collections::HashMap;
use std::ops::Range;
use std::rc::Rc;

use rusqlite::Connection;

use crate::highlight::{Span, cell_ranges, plain_prefix, snippet, spans};
use crate::index::SearchIndex;
use crate::postings::{BODY, MAX_POS, TITLE, decode_into, doc_of, pos_of, slot_of};
use crate::query::{Constraint, plan};

/// Why a search failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The database failed.
    #[error("search index database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored posting list does not decode.
    #[error("search index entry for `{0}` is corrupt; re-import the library")]
    Corrupt(String),
}

/// Where a hit matched, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchField {
    /// The title.
    Title,
    /// A keyword (and not the title).
    Keyword,
    /// Only the body.
    Body,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The article's id.
    pub id: String,
    /// Its category slug.
    pub category: String,
    /// The title, with matched characters highlighted.
    pub title: Vec<Span>,
    /// About 40 characters of the body around the first match in it,
    /// highlighted; when only the title or a keyword matched (pinyin is not
    /// searched in bodies), the start of the summary instead.
    pub snippet: Vec<Span>,
    /// The best field that matched.
    pub field: MatchField,
}

impl SearchIndex {
    /// The best `limit` articles for `query`, best first. A blank query (or
    /// one of punctuation only) has no hits and is not an error.
    pub fn search(conn: &Connection, query: &str, limit: usize) -> Result<Vec<Hit>, SearchError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let alternatives = plan(query);
        if alternatives.is_empty() {
            return Ok(Vec::new());
        }
        let mut lists = Lists::new(conn);
        // (start position, length in cells)
        let mut found: Vec<(u64, u32)> = Vec::new();
        for alt in &alternatives {
            let len = alt.len() as u32;
            for start in phrase_starts(alt, &mut lists)? {
                found.push((start, len));
            }
        }
        if found.is_empty() {
            return Ok(Vec::new());
        }
        found.sort_unstable();
        found.dedup();

        // Per article: the best field, and how early in that field the
        // earliest match starts. A title that starts with the query is a
        // better answer than one where it happens to span two words.
        let mut docs: Vec<(MatchField, u32, u32, Range<usize>)> = Vec::new();
        let mut i = 0;
        while i < found.len() {
            let doc = doc_of(found[i].0);
            let mut j = i;
            let mut best = (MatchField::Body, u32::MAX);
            while j < found.len() && doc_of(found[j].0) == doc {
                let p = found[j].0;
                best = best.min((field_of(slot_of(p)), pos_of(p)));
                j += 1;
            }
            docs.push((best.0, best.1, doc, i..j));
            i = j;
        }
        docs.sort_unstable_by_key(|(field, pos, doc, _)| (*field, *pos, *doc));
        docs.truncate(limit);

        let mut fetch = conn.prepare_cached(
            "SELECT id, category, title, body, summary FROM content_article WHERE doc = ?1",
        )?;
        let mut hits = Vec::with_capacity(docs.len());
        for (field, _, doc, range) in docs {
            let (id, category, title, body, summary): (String, String, String, String, String) =
                fetch.query_row([i64::from(doc)], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?;
            let in_slot = |slot: u8| -> Vec<(u32, u32)> {
                found[range.clone()]
                    .iter()
                    .filter(|(p, _)| slot_of(*p) == slot)
                    .map(|&(p, len)| (pos_of(p), len))
                    .collect()
            };
            let title_ranges = cell_ranges(&title, &in_slot(TITLE));
            let body_matches = in_slot(BODY);
            let snippet = match body_matches.iter().map(|m| m.0).min() {
                Some(first_pos) => {
                    let ranges = cell_ranges(&body, &body_matches);
                    let first = cell_ranges(
                        &body,
                        &body_matches
                            .iter()
                            .copied()
                            .filter(|m| m.0 == first_pos)
                            .collect::<Vec<_>>(),
                    );
                    match first.first() {
                        Some(first) => snippet(&body, first.clone(), &ranges),
                        None => plain_prefix(&summary),
                    }
                }
                None => plain_prefix(&summary),
            };
            hits.push(Hit {
                id,
                category,
                title: spans(&title, 0..title.len(), &title_ranges),
                snippet,
                field,
            });
        }
        Ok(hits)
    }
}

fn field_of(slot: u8) -> MatchField {
    match slot {
        TITLE => MatchField::Title,
        BODY => MatchField::Body,
        _ => MatchField::Keyword,
    }
}

/// Every position where the phrase `alt` starts.
fn phrase_starts(alt: &[Constraint], lists: &mut Lists<'_>) -> Result<Vec<u64>, SearchError> {
    let mut parts = Vec::with_capacity(alt.len());
    for c in alt {
        let list = lists.get(c)?;
        if list.is_empty() {
            return Ok(Vec::new());
        }
        parts.push(list);
    }
    let len = alt.len() as u64;
    let (pivot, shortest) = parts
        .iter()
        .enumerate()
        .min_by_key(|(_, l)| l.len())
        .map(|(i, l)| (i as u64, Rc::clone(l)))
        .unwrap_or_default();
    // Starts implied by the shortest list; the whole phrase must fit in its
    // field (no carry from the position bits into the slot bits).
    let mut starts: Vec<u64> = shortest
        .iter()
        .filter(|&&p| {
            let pos = u64::from(pos_of(p));
            pos >= pivot && pos - pivot + len - 1 <= u64::from(MAX_POS)
        })
        .map(|&p| p - pivot)
        .collect();
    for (offset, list) in parts.iter().enumerate() {
        if offset as u64 == pivot || starts.is_empty() {
            continue;
        }
        let mut k = 0;
        starts.retain(|&s| {
            let target = s + offset as u64;
            k = gallop(list, k, target);
            k < list.len() && list[k] == target
        });
    }
    Ok(starts)
}

/// The first index at or after `from` whose value is `>= target`.
fn gallop(list: &[u64], from: usize, target: u64) -> usize {
    let mut lo = from;
    let mut step = 1;
    let mut hi = from;
    while hi < list.len() && list[hi] < target {
        lo = hi + 1;
        hi += step;
        step *= 2;
    }
    let hi = hi.min(list.len());
    lo + list[lo..hi].partition_point(|&v| v < target)
}

/// Posting lists read during one search, each read and decoded once.
struct Lists<'c> {
    conn: &'c Connection,
    cache: HashMap<Constraint, Rc<Vec<u64>>>,
}

impl<'c> Lists<'c> {
    fn new(conn: &'c Connection) -> Lists<'c> {
        Lists {
            conn,
            cache: HashMap::new(),
        }
    }

    fn get(&mut self, c: &Constraint) -> Result<Rc<Vec<u64>>, SearchError> {
        if let Some(list) = self.cache.get(c) {
            return Ok(Rc::clone(list));
        }
        let mut out = Vec::new();
        match c {
            Constraint::Term(term) => {
                let mut stmt = self
                    .conn
                    .prepare_cached("SELECT postings FROM content_term WHERE term = ?1")?;
                let mut rows = stmt.query([term])?;
                if let Some(row) = rows.next()? {
                    let corrupt = || SearchError::Corrupt(term.clone());
                    let bytes = row.get_ref(0)?.as_blob().map_err(|_| corrupt())?;
                    decode_into(bytes, &mut out).ok_or_else(corrupt)?;
                }
            }
            Constraint::Prefix(prefix) => {
                let mut stmt = self.conn.prepare_cached(
                    "SELECT term, postings FROM content_term WHERE term >= ?1 AND term < ?2",
                )?;
                let upper = format!("{prefix}\u{10FFFF}");
                let mut rows = stmt.query([prefix, &upper])?;
                let mut lists = 0;
                while let Some(row) = rows.next()? {
                    let corrupt = || SearchError::Corrupt(row.get(0).unwrap_or_default());
                    let bytes = row.get_ref(1)?.as_blob().map_err(|_| corrupt())?;
                    decode_into(bytes, &mut out).ok_or_else(corrupt)?;
                    lists += 1;
                }
                if lists > 1 {
                    out.sort_unstable();
                    out.dedup();
                }
            }
        }
        let list = Rc::new(out);
        self.cache.insert(c.clone(), Rc::clone(&list));
        Ok(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gallop_finds_the_first_value_not_below_the_target() {
        let list = [1, 3, 5, 7, 9, 11, 13];
        assert_eq!(gallop(&list, 0, 0), 0);
        assert_eq!(gallop(&list, 0, 7), 3);
        assert_eq!(gallop(&list, 2, 8), 4);
        assert_eq!(gallop(&list, 0, 14), 7);
        assert_eq!(gallop(&list, 7, 1), 7);
    }
}
