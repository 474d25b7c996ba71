//! Importing the library into SQLite: the article rows and the inverted
//! index that [`crate::SearchIndex::search`] reads.
//!
//! The index is built in memory (a few megabytes even for ten thousand
//! articles) and written in one transaction, replacing the previous import
//! whole, so a reader sees either the old library or the new one. Terms:
//!
//! - every Han character, in titles, keywords and body (Chinese search);
//! - for title and keyword characters only, each reading as a full syllable
//!   (`f:hun`) and as initials (`i:h`, and `i:zh` for zh/ch/sh): pinyin
//!   search. Bodies get no pinyin terms: letters like `h` would then match
//!   nearly every article, drowning the titles people are looking for, and
//!   the lists would dominate query time;
//! - every Latin/digit word (`w:12348`).

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::article::Article;
use crate::library::Library;
use crate::postings::{BODY, MAX_KEYWORDS, MAX_POS, TITLE, encode, pack};
use crate::query::{full_term, initial_term, word_term};
use crate::readings::{initials, readings};
use crate::search::SearchError;
use crate::text::{CellKind, cells};

/// Bump when indexing changes (terms, packing, text extraction), so that
/// terminals rebuild the index even though the content did not change.
const INDEX_FORMAT: u32 = 1;

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
    let mut han: HashMap<char, Vec<u64>> = HashMap::new();
    let mut other: HashMap<String, Vec<u64>> = HashMap::new();
    let mut pinyin_terms: HashMap<char, Vec<String>> = HashMap::new();
    for (doc, article) in articles.iter().enumerate() {
        let Ok(doc) = u32::try_from(doc) else {
            log::warn!("search index: more than 2^32 articles; the rest are not indexed");
            break;
        };
        let keywords = keywords_text(article);
        let body = body_text(article);
        let fields = std::iter::once((TITLE, article.title()))
            .chain(keywords.split('\n').enumerate().map(|(i, k)| (i as u8 + 1, k)))
            .chain(std::iter::once((BODY, body.as_str())));
        for (slot, text) in fields {
            // Positions only grow, and documents and slots are visited in
            // order, so every list stays sorted without a sort.
            for cell in cells(text) {
                if cell.pos > MAX_POS {
                    break;
                }
                let p = pack(doc, slot, cell.pos);
                match cell.kind {
                    CellKind::Han(c) => {
                        push(han.entry(c).or_default(), p);
                        if slot == BODY {
                            continue;
                        }
                        let terms = pinyin_terms.entry(c).or_insert_with(|| pinyin_terms_for(c));
                        for term in terms.iter() {
                            match other.get_mut(term) {
                                Some(list) => push(list, p),
                                None => {
                                    other.insert(term.clone(), vec![p]);
                                }
                            }
                        }
                    }
                    CellKind::Word(w) => push(other.entry(word_term(&w)).or_default(), p),
                }
            }
        }
    }
    let mut out: Vec<(String, Vec<u64>)> = han
        .into_iter()
        .map(|(c, list)| (c.to_string(), list))
        .chain(other)
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Appends unless the position is already last (two readings of one
/// character share an initial).
fn push(list: &mut Vec<u64>, p: u64) {
    if list.last() != Some(&p) {
        list.push(p);
    }
}

/// The distinct pinyin terms of a character.
fn pinyin_terms_for(c: char) -> Vec<String> {
    let mut terms = Vec::new();
    for reading in readings(c) {
        for initial in initials(&reading) {
            let t = initial_term(initial);
            if !terms.contains(&t) {
                terms.push(t);
            }
        }
        let t = full_term(&reading);
        if !terms.contains(&t) {
            terms.push(t);
        }
    }
    terms
}
