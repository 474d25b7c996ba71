//! Search, off the UI thread.
//!
//! Every key tap on the search screen changes the query. The query runs on a
//! worker thread with its own SQLite connection (WAL lets it read while the
//! UI thread's connection exists), and the results come back to the UI
//! through `upgrade_in_event_loop`. The worker always answers the newest
//! query it has been sent and skips the ones typed in between, so results
//! never lag behind a fast typist and the last answer shown is for the last
//! query. Headless screenshots and UI tests run the same search inline.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc;

use kiosk_library::{Category, Hit, Library, SearchIndex};
use rusqlite::Connection;
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use crate::{App, CategoryItem, SearchAdapter, SearchHit, Span};

/// How many hits the results list shows.
const MAX_HITS: usize = 30;
/// How many categories are suggested when nothing matched.
const MAX_SUGGESTIONS: usize = 6;

/// The answer to one query, as plain data that can cross threads.
#[derive(Debug, Default)]
pub struct SearchOutcome {
    /// False for an empty query: nothing was searched.
    pub searched: bool,
    pub hits: Vec<(Hit, String)>,
    pub suggestions: Vec<Category>,
}

/// Runs `query` against the index; hits come with their category's name.
pub fn run(library: &Library, db: &Connection, query: &str) -> SearchOutcome {
    if query.trim().is_empty() {
        return SearchOutcome::default();
    }
    let hits = SearchIndex::search(db, query, MAX_HITS).unwrap_or_else(|e| {
        // The query text stays out of the log: it may be a name.
        log::error!("search failed: {e}");
        Vec::new()
    });
    let suggestions = if hits.is_empty() {
        kiosk_library::suggest_categories(library, query)
            .into_iter()
            .take(MAX_SUGGESTIONS)
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    let hits = hits
        .into_iter()
        .map(|hit| {
            let category = library
                .category(&hit.category)
                .map(|c| c.name.clone())
                .unwrap_or_default();
            (hit, category)
        })
        .collect();
    SearchOutcome {
        searched: true,
        hits,
        suggestions,
    }
}

/// Fills `SearchAdapter` with an outcome.
pub fn show(adapter: &SearchAdapter, outcome: &SearchOutcome) {
    let hits: Vec<SearchHit> = outcome
        .hits
        .iter()
        .map(|(hit, category)| SearchHit {
            id: hit.id.as_str().into(),
            title_text: hit
                .title
                .iter()
                .map(|s| s.text.as_str())
                .collect::<String>()
                .into(),
            title: spans(&hit.title),
            snippet: spans(&hit.snippet),
            category: SharedString::from(category.as_str()),
        })
        .collect();
    let suggestions: Vec<CategoryItem> = outcome
        .suggestions
        .iter()
        .map(|cat| CategoryItem {
            slug: cat.slug.as_str().into(),
            name: cat.name.as_str().into(),
            blurb: cat.blurb.as_str().into(),
            count: 0,
        })
        .collect();
    adapter.set_searched(outcome.searched);
    adapter.set_hits(ModelRc::new(VecModel::from(hits)));
    adapter.set_suggestions(ModelRc::new(VecModel::from(suggestions)));
}

fn spans(parts: &[kiosk_library::Span]) -> ModelRc<Span> {
    let items: Vec<Span> = parts
        .iter()
        .map(|s| Span {
            text: s.text.as_str().into(),
            highlight: s.highlight,
        })
        .collect();
    ModelRc::new(VecModel::from(items))
}

/// The search thread. Dropping it ends the thread.
pub struct SearchWorker {
    tx: mpsc::Sender<String>,
}

impl SearchWorker {
    /// Opens a second, read-only connection to the database and starts the
    /// thread.
    pub fn spawn(
        library: Arc<Library>,
        db_path: PathBuf,
        app: slint::Weak<App>,
    ) -> std::io::Result<SearchWorker> {
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::Builder::new()
            .name("search".into())
            .spawn(move || {
                // The UI thread's `kiosk_storage::open` has already checked
                // and migrated this file; the worker only reads.
                let db = match open_reader(&db_path) {
                    Ok(db) => db,
                    Err(e) => {
                        log::error!("search worker cannot open the database: {e}");
                        return;
                    }
                };
                while let Ok(mut query) = rx.recv() {
                    // Only the newest query matters.
                    while let Ok(newer) = rx.try_recv() {
                        query = newer;
                    }
                    let outcome = run(&library, &db, &query);
                    let delivered = app.upgrade_in_event_loop(move |app| {
                        show(&app.global::<SearchAdapter>(), &outcome)
                    });
                    if delivered.is_err() {
                        break; // the event loop is gone: the terminal is shutting down
                    }
                }
            })?;
        Ok(SearchWorker { tx })
    }

    pub fn submit(&self, query: &str) {
        let _ = self.tx.send(query.to_owned());
    }
}

fn open_reader(path: &std::path::Path) -> rusqlite::Result<Connection> {
    let db = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    db.busy_timeout(kiosk_storage::BUSY_TIMEOUT)?;
    Ok(db)
}
