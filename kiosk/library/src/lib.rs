//! The legal-information library of the kiosk.
//!
//! - [`Statutes`]: the statute texts in `assets/laws/`, looked up by
//!   citation ([`Citation`], `民法典第1076条`).
//! - [`Library`]: the plain-language articles in `assets/content/`, loaded
//!   and validated as a whole ([`ContentError`] lists every problem in every
//!   file); [`parse_article`] is the pure per-file parser behind it.
//! - [`SearchIndex`]: imports the library into the kiosk's SQLite database
//!   ([`SearchIndex::sync`], skipped when the content hash is unchanged) and
//!   answers queries typed as Chinese or as pinyin letters — full, initials
//!   or mixed — with ranked, highlighted [`Hit`]s ([`SearchIndex::search`]).
//! - [`suggest_categories`]: what to offer when a search finds nothing.
//!
//! Content is Chinese; code, errors and logs are English.
//!
//! A terminal's start-up, in short:
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use kiosk_library::{Library, SearchIndex, Statutes, suggest_categories};
//!
//! let statutes = Statutes::load("assets/laws")?;
//! let library = Library::load("assets/content", &statutes)?; // all or nothing
//! let mut conn = kiosk_storage::open("/var/lib/kiosk/kiosk.db")?;
//! SearchIndex::sync(&mut conn, &library)?; // a no-op unless content changed
//!
//! let hits = SearchIndex::search(&conn, "lihun", 20)?;
//! if hits.is_empty() {
//!     let offer = suggest_categories(&library, "lihun");
//!     # let _ = offer;
//! }
//! # Ok(()) }
//! ```

mod article;
mod citation;
mod error;
mod highlight;
mod index;
mod library;
mod numerals;
mod parse;
mod postings;
mod query;
mod readings;
mod search;
mod statutes;
mod suggest;
mod terms;
mod text;

pub use article::{Article, ArticleDraft, Block, Date, Service};
pub use citation::{Citation, CitationError};
pub use error::{ContentError, ContentProblem, Problem};
pub use highlight::Span;
pub use index::{SearchIndex, SyncOutcome};
pub use library::{Category, Library};
pub use parse::{KEYWORDS, MAX_TITLE_CHARS, parse_article};
pub use search::{Hit, MatchField, SearchError};
pub use statutes::{Law, StatuteError, Statutes};
pub use suggest::suggest_categories;
