//! Importing the library into SQLite: the article rows and the inverted
//! index that [`crate::SearchIndex::search`] reads.
//!
//! The index is built in memory and written in one transaction, replacing
//! the previous import whole, so a reader sees either the old library or
//! the new one. Which terms a cell is filed under is [`crate::terms`]'
//! business; how positions are packed and encoded, [`crate::postings`]'.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::article::Article;
use crate::library::Library;
use crate::postings::{
    MAX_BODY_POS, MAX_HEAD_POS, MAX_KEYWORDS, TITLE, encode, pack_body, pack_head,
};
use crate::search::SearchError;
use crate::terms::{HeadTerms, body_term};
use crate::text::{Cell, cells};

/// Bump when indexing changes (terms, packing, text extraction), so that
/// terminals rebuild the index even though the content did not change.
const INDEX_FORMAT: u32 = 3;

const HASH_KEY: &str = "content_hash";

/// The search index stored in the kiosk database (tables from
/// `kiosk-storage`'s `content` migration).
#[derive(Debug)]
pub struct SearchIndex;

/// What [`SearchIndex::sync`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncOutcome {
    /// The database already held this exact library; nothing was written.
    Unchanged,
    /// The library was imported.
    Imported {
        /// Articles written.
        articles: usize,
        /// Distinct index terms written.
        terms: usize,
    },
}

impl SearchIndex {
    /// Makes the database's copy of the library match `library`.
    ///
    /// When the stored content hash equals the library's, this is one
    /// indexed read and returns [`SyncOutcome::Unchanged`], so calling it at
    /// every start-up is cheap. Otherwise the content tables are replaced in
    /// one transaction.
    pub fn sync(conn: &mut Connection, library: &Library) -> Result<SyncOutcome, SearchError> {
        let stamp = format!("{:016x}/{INDEX_FORMAT}", library.content_hash());
        if stored_stamp(conn)?.as_deref() == Some(stamp.as_str()) {
            return Ok(SyncOutcome::Unchanged);
        }
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Another process may have imported while we waited for the lock.
        if stored_stamp(&tx)?.as_deref() == Some(stamp.as_str()) {
            return Ok(SyncOutcome::Unchanged);
        }
        tx.execute_batch(
            "DELETE FROM content_term;
             DELETE FROM content_article;
             DELETE FROM content_category;",
        )?;
        {
            let mut insert = tx.prepare(
                "INSERT INTO content_category (slug, position, name, blurb) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (position, c) in library.categories().iter().enumerate() {
                insert.execute(params![c.slug, position as i64, c.name, c.blurb])?;
            }
            let mut insert = tx.prepare(
                "INSERT INTO content_article (doc, id, category, title, keywords, summary, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for (doc, a) in library.articles().iter().enumerate() {
                insert.execute(params![
                    doc as i64,
                    a.id(),
                    a.category(),
                    a.title(),
                    keywords_text(a),
                    a.summary(),
                    body_text(a),
                ])?;
            }
        }
        let terms = build_terms(library.articles());
        {
            let mut insert =
                tx.prepare("INSERT INTO content_term (term, postings) VALUES (?1, ?2)")?;
            for (term, list) in &terms {
                insert.execute(params![term, encode(list)])?;
            }
        }
        tx.execute(
            "INSERT INTO content_meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![HASH_KEY, stamp],
        )?;
        tx.commit()?;
        // The import went through the write-ahead log; fold it into the
        // database and shrink the log file now rather than leave a second
        // copy of the index on disk. Best effort: a busy reader only delays it.
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())) {
            log::debug!("search index: checkpoint after import skipped: {e}");
        }
        log::info!(
            "search index: imported {} articles, {} terms",
            library.articles().len(),
            terms.len()
        );
        Ok(SyncOutcome::Imported {
            articles: library.articles().len(),
            terms: terms.len(),
        })
    }
}

fn stored_stamp(conn: &Connection) -> Result<Option<String>, SearchError> {
    Ok(conn
        .query_row(
            "SELECT value FROM content_meta WHERE key = ?1",
            [HASH_KEY],
            |row| row.get(0),
        )
        .optional()?)
}

/// Keywords as stored: one per line.
pub(crate) fn keywords_text(article: &Article) -> String {
    article
        .keywords()
        .iter()
        .take(MAX_KEYWORDS)
        .map(|k| k.replace('\n', " "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The body as plain text, one block per line, as indexed and as snippets
/// are cut from.
pub(crate) fn body_text(article: &Article) -> String {
    article
        .body()
        .iter()
        .map(|b| b.text().replace('\n', " "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every term's sorted position list.
fn build_terms(articles: &[Article]) -> Vec<(String, Vec<u64>)> {
    let mut lists: HashMap<String, Vec<u64>> = HashMap::new();
    let mut head = HeadTerms::default();
    let mut file = |term: &str, p: u64| match lists.get_mut(term) {
        // A term filed twice for one cell (two readings sharing an
        // initial) is kept once.
        Some(list) => {
            if list.last() != Some(&p) {
                list.push(p);
            }
        }
        None => {
            lists.insert(term.to_string(), vec![p]);
        }
    };
    for (doc, article) in articles.iter().enumerate() {
        let Ok(doc) = u32::try_from(doc) else {
            log::warn!("search index: more than 2^32 articles; the rest are not indexed");
            break;
        };
        let keywords = keywords_text(article);
        let heads = std::iter::once((TITLE, article.title())).chain(
            keywords
                .split('\n')
                .enumerate()
                .map(|(i, k)| (i as u8 + 1, k)),
        );
        for (slot, text) in heads {
            let cells: Vec<Cell> = cells(text).take_while(|c| c.pos <= MAX_HEAD_POS).collect();
            for (i, cell) in cells.iter().enumerate() {
                let p = pack_head(doc, slot, cell.pos);
                head.for_cell(cell, cells.get(i + 1), |term| file(term, p));
            }
        }
        for cell in cells(&body_text(article)).take_while(|c| c.pos <= MAX_BODY_POS) {
            file(&body_term(&cell), pack_body(doc, cell.pos));
        }
    }
    let mut out: Vec<(String, Vec<u64>)> = lists.into_iter().collect();
    for (_, list) in &mut out {
        // Body lists are already in order (articles, then cells, were
        // visited in order); head lists are ordered by rank, not by visit.
        if !list.is_sorted() {
            list.sort_unstable();
            list.dedup();
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}
