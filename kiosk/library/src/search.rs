//! Answering a query from the index: find matching articles, rank them,
//! and mark up the best few.
//!
//! Each alternative of the query (see [`crate::query`]) becomes a plan of
//! posting lists (see [`crate::terms`]) whose intersection, each list
//! shifted by its cell offset, gives the match starts. The intersection is a
//! leapfrog join over lists decoded as it goes, so it can stop early.
//!
//! Ranking: title over keyword over body. Within the title and keyword
//! tiers, a match nearer the start of the field first (`hy` lists
//! 婚姻登记… before 协议离婚要…, where 婚要 only happens to fit), then
//! library order. Titles and keywords are short, so every match there is
//! found; bodies are read only when fewer than `limit` articles matched in
//! titles and keywords, in library order, stopping as soon as enough
//! articles are found. Library order is stable and is the order editors
//! chose.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use rusqlite::Connection;

use crate::highlight::{SNIPPET_BYTES, Span, find_matches, plain_prefix, snippet, spans};
use crate::index::SearchIndex;
use crate::postings::{
    BODY_STEP, Corrupt, Cursor, HEAD_STEP, MAX_BODY_POS, MAX_HEAD_POS, TITLE, Union, unpack_body,
    unpack_head,
};
use crate::query::{CellMatch, alternatives};
use crate::terms::{Area, Lookup, Plan, body_plan, head_plan};

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
    /// highlighted; when the body has no match (pinyin is not searched in
    /// bodies), the start of the summary instead.
    pub snippet: Vec<Span>,
    /// The best field that matched.
    pub field: MatchField,
}

impl SearchIndex {
    /// The best `limit` articles for `query`, best first. A blank query (or
    /// one of punctuation only) has no hits and is not an error.
    pub fn search(conn: &Connection, query: &str, limit: usize) -> Result<Vec<Hit>, SearchError> {
        let alts = alternatives(query);
        if limit == 0 || alts.is_empty() {
            return Ok(Vec::new());
        }
        // One read transaction for the whole search: every list and row
        // comes from the same snapshot even if a sync commits meanwhile,
        // and SQLite takes its read lock once instead of per statement.
        // (Inside a caller's transaction, that one already does both.)
        let _snapshot = if conn.is_autocommit() {
            Some(conn.unchecked_transaction()?)
        } else {
            None
        };
        let mut lists = Lists::new(conn);
        let mut ranked = rank_heads(&alts, &mut lists, limit)?;
        if ranked.len() < limit {
            let taken: HashSet<u32> = ranked.iter().map(|r| r.2).collect();
            let bodies = first_bodies(&alts, &mut lists, &taken, limit - ranked.len())?;
            ranked.extend(bodies.into_iter().map(|doc| (MatchField::Body, 0, doc)));
        }
        let mut fetch = conn.prepare_cached(
            "SELECT id, category, title, body, summary FROM content_article WHERE doc = ?1",
        )?;
        let mut hits = Vec::with_capacity(ranked.len());
        for (field, _, doc) in ranked {
            let (id, category, title, body, summary): (String, String, String, String, String) =
                fetch.query_row([i64::from(doc)], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?;
            let (title_ranges, _) = find_matches(&title, &alts, true, None);
            let (body_ranges, first) = find_matches(&body, &alts, false, Some(SNIPPET_BYTES));
            hits.push(Hit {
                id,
                category,
                title: spans(&title, 0..title.len(), &title_ranges),
                snippet: match first {
                    Some(first) => snippet(&body, first, &body_ranges),
                    None => plain_prefix(&summary),
                },
                field,
            });
        }
        Ok(hits)
    }
}

/// The best `limit` articles by title and keyword matches, as (field, cell
/// position, article), best first.
///
/// Head lists are in rank order, so an alternative meets each article
/// first at its best match, and its first `limit` articles include every
/// article that alternative contributes to the final top `limit`: reading
/// can stop there.
fn rank_heads(
    alts: &[Vec<CellMatch>],
    lists: &mut Lists<'_>,
    limit: usize,
) -> Result<Vec<(MatchField, u32, u32)>, SearchError> {
    let mut ranked: Vec<(MatchField, u32, u32)> = Vec::new();
    for alt in alts {
        let mut seen: HashSet<u32> = HashSet::new();
        join(&head_plan(alt), lists, |start| {
            let (doc, slot, pos) = unpack_head(start);
            if seen.insert(doc) {
                ranked.push((field_of(slot), pos, doc));
            }
            seen.len() < limit
        })?;
    }
    ranked.sort_unstable();
    // Keep each article once, at its best match over all alternatives.
    let mut seen: HashSet<u32> = HashSet::new();
    ranked.retain(|r| seen.insert(r.2));
    ranked.truncate(limit);
    Ok(ranked)
}

/// The first `need` articles in library order, not in `taken`, whose body
/// matches; each alternative's list reading stops once it has that many.
fn first_bodies(
    alts: &[Vec<CellMatch>],
    lists: &mut Lists<'_>,
    taken: &HashSet<u32>,
    need: usize,
) -> Result<Vec<u32>, SearchError> {
    let mut docs: Vec<u32> = Vec::new();
    for alt in alts {
        let Some(plan) = body_plan(alt) else { continue };
        let mut found: Vec<u32> = Vec::new();
        join(&plan, lists, |start| {
            let (doc, _) = unpack_body(start);
            if !taken.contains(&doc) && found.last() != Some(&doc) {
                found.push(doc);
            }
            found.len() < need
        })?;
        docs.extend(found);
    }
    docs.sort_unstable();
    docs.dedup();
    docs.truncate(need);
    Ok(docs)
}

fn field_of(slot: u8) -> MatchField {
    if slot == TITLE {
        MatchField::Title
    } else {
        MatchField::Keyword
    }
}

/// One list being read: a single term or the union of a prefix's terms.
enum Source<'a> {
    One(Cursor<'a>),
    Many(Union<'a>),
}

impl Source<'_> {
    fn seek(&mut self, target: u64) -> Result<Option<u64>, Corrupt> {
        match self {
            Source::One(c) => c.seek(target),
            Source::Many(u) => u.seek(target),
        }
    }
}

/// Calls `emit` with every start of a match of `plan`, in increasing order,
/// until it returns `false`.
///
/// Leapfrog: a candidate start is proposed; each list in turn seeks to the
/// candidate plus its offset; a list that lands beyond proposes a later
/// candidate. When every list agrees, the candidate is a match.
fn join(
    plan: &Plan,
    lists: &mut Lists<'_>,
    mut emit: impl FnMut(u64) -> bool,
) -> Result<(), SearchError> {
    let (step, max_pos) = match plan.area {
        Area::Head => (HEAD_STEP, MAX_HEAD_POS),
        Area::Body => (BODY_STEP, MAX_BODY_POS),
    };
    let mut fetched = Vec::with_capacity(plan.parts.len());
    for (offset, lookup) in &plan.parts {
        let blobs = lists.get(lookup)?;
        if blobs.is_empty() {
            return Ok(());
        }
        fetched.push((u64::from(*offset) * step, lookup, blobs));
    }
    if fetched.is_empty() {
        return Ok(());
    }
    let mut sources: Vec<(u64, &Lookup, Source<'_>)> = fetched
        .iter()
        .map(|(shift, lookup, blobs)| {
            let source = match blobs.as_slice() {
                [one] => Source::One(Cursor::new(one)),
                many => Source::Many(Union::new(many.iter().map(|b| Cursor::new(b)).collect())),
            };
            (*shift, *lookup, source)
        })
        .collect();
    let n = sources.len();
    let span = plan.len.saturating_sub(1);
    let mut start: u64 = 0;
    let mut agreed = 0;
    let mut i = 0;
    loop {
        let (shift, lookup, source) = &mut sources[i];
        let Some(target) = start.checked_add(*shift) else {
            return Ok(());
        };
        let found = source
            .seek(target)
            .map_err(|_| SearchError::Corrupt(lookup_name(lookup)))?;
        match found {
            None => return Ok(()),
            Some(v) if v == target => agreed += 1,
            Some(v) => {
                start = v - *shift;
                agreed = 1;
            }
        }
        if agreed == n {
            // Offset 0 is in every plan, so `start` is a real cell; the
            // whole phrase must fit in its field's position bits.
            let pos = match plan.area {
                Area::Head => unpack_head(start).2,
                Area::Body => unpack_body(start).1,
            };
            if pos.checked_add(span).is_some_and(|end| end <= max_pos) && !emit(start) {
                return Ok(());
            }
            let Some(next) = start.checked_add(1) else {
                return Ok(());
            };
            start = next;
            agreed = 0;
        }
        i = (i + 1) % n;
    }
}

fn lookup_name(lookup: &Lookup) -> String {
    match lookup {
        Lookup::Term(t) => t.clone(),
        Lookup::Prefix(p) => format!("{p}*"),
    }
}

/// Posting lists read during one search, each read once: for a prefix
/// lookup, every term's list.
struct Lists<'c> {
    conn: &'c Connection,
    cache: HashMap<Lookup, Rc<Vec<Vec<u8>>>>,
}

impl<'c> Lists<'c> {
    fn new(conn: &'c Connection) -> Lists<'c> {
        Lists {
            conn,
            cache: HashMap::new(),
        }
    }

    fn get(&mut self, lookup: &Lookup) -> Result<Rc<Vec<Vec<u8>>>, SearchError> {
        if let Some(list) = self.cache.get(lookup) {
            return Ok(Rc::clone(list));
        }
        let corrupt = || SearchError::Corrupt(lookup_name(lookup));
        let mut blobs = Vec::new();
        match lookup {
            Lookup::Term(term) => {
                let mut stmt = self
                    .conn
                    .prepare_cached("SELECT postings FROM content_term WHERE term = ?1")?;
                let mut rows = stmt.query([term])?;
                if let Some(row) = rows.next()? {
                    blobs.push(row.get_ref(0)?.as_blob().map_err(|_| corrupt())?.to_vec());
                }
            }
            Lookup::Prefix(prefix) => {
                let mut stmt = self.conn.prepare_cached(
                    "SELECT postings FROM content_term WHERE term >= ?1 AND term < ?2",
                )?;
                let upper = format!("{prefix}\u{10FFFF}");
                let mut rows = stmt.query([prefix, &upper])?;
                while let Some(row) = rows.next()? {
                    blobs.push(row.get_ref(0)?.as_blob().map_err(|_| corrupt())?.to_vec());
                }
            }
        }
        let blobs = Rc::new(blobs);
        self.cache.insert(lookup.clone(), Rc::clone(&blobs));
        Ok(blobs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::postings::{encode, pack_body};

    #[test]
    fn leapfrog_join_finds_consecutive_cells_only() {
        let conn = kiosk_storage::open_in_memory().unwrap();
        let a = [
            pack_body(0, 0),
            pack_body(0, 5),
            pack_body(1, 2),
            pack_body(2, 9),
        ];
        let b = [
            pack_body(0, 1),
            pack_body(0, 7),
            pack_body(1, 3),
            pack_body(3, 0),
        ];
        for (term, list) in [("a", &a), ("b", &b)] {
            conn.execute(
                "INSERT INTO content_term (term, postings) VALUES (?1, ?2)",
                rusqlite::params![term, encode(list)],
            )
            .unwrap();
        }
        let plan = Plan {
            area: Area::Body,
            len: 2,
            parts: vec![(0, Lookup::Term("a".into())), (1, Lookup::Term("b".into()))],
        };
        let mut lists = Lists::new(&conn);
        let mut starts = Vec::new();
        join(&plan, &mut lists, |s| {
            starts.push(s);
            true
        })
        .unwrap();
        assert_eq!(starts, vec![pack_body(0, 0), pack_body(1, 2)]);

        let mut first = Vec::new();
        join(&plan, &mut lists, |s| {
            first.push(s);
            false
        })
        .unwrap();
        assert_eq!(
            first,
            vec![pack_body(0, 0)],
            "emit returning false stops the join"
        );
    }

    #[test]
    fn corrupt_list_is_an_error_not_a_panic() {
        let conn = kiosk_storage::open_in_memory().unwrap();
        conn.execute(
            "INSERT INTO content_term (term, postings) VALUES ('婚', x'80')",
            [],
        )
        .unwrap();
        let err = SearchIndex::search(&conn, "婚", 10).unwrap_err();
        assert!(matches!(err, SearchError::Corrupt(t) if t == "婚"));
    }
}
