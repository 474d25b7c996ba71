//! The legal-information library as the UI sees it: loading it (off the UI
//! thread at start-up), and turning articles, search hits and categories
//! into the Slint models of `LibraryAdapter` and `SearchAdapter`.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use kiosk_core::Config;
use kiosk_ime::Dictionary;
use kiosk_library::{Block, Library, SearchIndex, Statutes};
use rusqlite::Connection;
use slint::{ModelRc, SharedString, VecModel};

use crate::{ArticleItem, BlockItem, CategoryItem, LibraryAdapter, Service, SourceItem};

/// Everything loaded at start-up that the screens read.
pub struct LoadedContent {
    /// Shared with the search worker thread.
    pub library: Arc<Library>,
    /// Where `db` lives, so the search worker can open its own connection.
    pub db_path: PathBuf,
    pub statutes: Statutes,
    /// The kiosk's database, holding the search index.
    pub db: Connection,
}

/// Why the terminal cannot show its library (English, for the log; the
/// screen says it in Chinese without details).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("statute texts in {path}: {reason}")]
    Statutes { path: PathBuf, reason: String },
    #[error("legal-information content is invalid:\n{0}")]
    Content(String),
    #[error("database: {0}")]
    Storage(String),
}

/// The assets folder: configured, or the one in this source tree.
pub fn assets_dir(config: &Config) -> PathBuf {
    if config.content.assets_dir.as_os_str().is_empty() {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets")
    } else {
        config.content.assets_dir.clone()
    }
}

/// Loads statutes, articles and the search index: tens of milliseconds, so
/// on a worker thread. The keyboard's dictionary loads separately (it takes
/// longer and only the search screen needs it): [`Dictionary::embedded`].
pub fn load(config: &Config) -> Result<LoadedContent, LoadError> {
    let assets = assets_dir(config);
    let laws = assets.join("laws");
    let statutes = Statutes::load(&laws).map_err(|e| LoadError::Statutes {
        path: laws.clone(),
        reason: e.to_string(),
    })?;
    let library = Library::load(assets.join("content"), &statutes)
        .map_err(|e| LoadError::Content(e.to_string()))?;
    let mut conn = kiosk_storage::open(&config.storage.database)
        .map_err(|e| LoadError::Storage(e.to_string()))?;
    SearchIndex::sync(&mut conn, &library).map_err(|e| LoadError::Storage(e.to_string()))?;
    Ok(LoadedContent {
        library: Arc::new(library),
        db_path: config.storage.database.clone(),
        statutes,
        db: conn,
    })
}

pub enum ContentState {
    Loading,
    Ready(Rc<LoadedContent>),
    Failed(Rc<LoadError>),
}

/// Shared, UI-thread-only access to the loaded content and the keyboard
/// dictionary, each arriving from the loader when ready.
#[derive(Clone)]
pub struct ContentHandle {
    state: Rc<RefCell<ContentState>>,
    dictionary: Rc<RefCell<Option<Arc<Dictionary>>>>,
}

impl ContentHandle {
    pub fn loading() -> Self {
        ContentHandle {
            state: Rc::new(RefCell::new(ContentState::Loading)),
            dictionary: Rc::new(RefCell::new(None)),
        }
    }

    pub fn set_dictionary(&self, dictionary: Arc<Dictionary>) {
        *self.dictionary.borrow_mut() = Some(dictionary);
    }

    pub fn finish(&self, result: Result<LoadedContent, LoadError>) {
        *self.state.borrow_mut() = match result {
            Ok(content) => ContentState::Ready(Rc::new(content)),
            Err(e) => {
                log::error!("{e}");
                ContentState::Failed(Rc::new(e))
            }
        };
    }

    pub fn state(&self) -> ContentState {
        match &*self.state.borrow() {
            ContentState::Loading => ContentState::Loading,
            ContentState::Ready(c) => ContentState::Ready(c.clone()),
            ContentState::Failed(e) => ContentState::Failed(e.clone()),
        }
    }

    pub fn library(&self) -> Option<Rc<LoadedContent>> {
        match &*self.state.borrow() {
            ContentState::Ready(c) => Some(c.clone()),
            _ => None,
        }
    }

    pub fn ime_dictionary(&self) -> Option<Arc<Dictionary>> {
        self.dictionary.borrow().clone()
    }
}

pub fn category_items(content: &LoadedContent) -> Vec<CategoryItem> {
    content
        .library
        .categories()
        .iter()
        .map(|c| CategoryItem {
            slug: c.slug.as_str().into(),
            name: c.name.as_str().into(),
            blurb: c.blurb.as_str().into(),
            count: content.library.articles_in(&c.slug).len() as i32,
        })
        .collect()
}

pub fn show_article_list(adapter: &LibraryAdapter, content: &LoadedContent, category: &str) {
    let lib = &content.library;
    let name = lib
        .category(category)
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let items: Vec<ArticleItem> = lib
        .articles_in(category)
        .iter()
        .map(|a| ArticleItem {
            id: a.id().into(),
            title: a.title().into(),
            summary: a.summary().into(),
        })
        .collect();
    adapter.set_category_name(name.into());
    adapter.set_articles(ModelRc::new(VecModel::from(items)));
}

pub fn show_article(adapter: &LibraryAdapter, content: &LoadedContent, id: &str) {
    let Some(article) = content.library.article(id) else {
        log::warn!("article {id} not found");
        return;
    };
    let category = content
        .library
        .category(article.category())
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let blocks: Vec<BlockItem> = article
        .body()
        .iter()
        .map(|b| match b {
            Block::Heading(t) => BlockItem {
                kind: 0,
                text: t.as_str().into(),
                marker: "".into(),
            },
            Block::Paragraph(t) => BlockItem {
                kind: 1,
                text: t.as_str().into(),
                marker: "".into(),
            },
            Block::Bullet(t) => BlockItem {
                kind: 2,
                text: t.as_str().into(),
                marker: "".into(),
            },
            Block::Numbered(n, t) => BlockItem {
                kind: 3,
                text: t.as_str().into(),
                marker: format!("{n}.").into(),
            },
        })
        .collect();
    let sources: Vec<SourceItem> = article
        .sources()
        .iter()
        .map(|c| SourceItem {
            citation: c.article_label().into(),
            law_title: book_title(
                content
                    .statutes
                    .law(&c.law)
                    .map(|l| l.title())
                    .unwrap_or(&c.law),
            )
            .into(),
            text: content.statutes.article_text(c).unwrap_or_default().into(),
        })
        .collect();
    let services: Vec<Service> = article
        .services()
        .iter()
        .map(|s| match s {
            kiosk_library::Service::Hotline => Service::Hotline,
            kiosk_library::Service::LegalAid => Service::LegalAid,
            kiosk_library::Service::Mediation => Service::Mediation,
            kiosk_library::Service::Notary => Service::Notary,
            kiosk_library::Service::Lawyer => Service::Lawyer,
        })
        .collect();
    adapter.set_article_title(article.title().into());
    adapter.set_article_category(category.into());
    adapter.set_article_updated(article.updated().to_string().into());
    adapter.set_article_blocks(ModelRc::new(VecModel::from(blocks)));
    adapter.set_article_sources(ModelRc::new(VecModel::from(sources)));
    adapter.set_article_services(ModelRc::new(VecModel::from(services)));
}

/// A law's title as Chinese writes it in running text: 《…》, with any
/// title inside it in 〈…〉.
fn book_title(title: &str) -> String {
    format!("《{}》", title.replace('《', "〈").replace('》', "〉"))
}

/// Empties the article list and article models (session end).
pub fn clear_views(app: &crate::App) {
    use slint::ComponentHandle;
    let adapter = app.global::<LibraryAdapter>();
    adapter.set_category_name(SharedString::new());
    adapter.set_articles(ModelRc::default());
    adapter.set_article_title(SharedString::new());
    adapter.set_article_category(SharedString::new());
    adapter.set_article_updated(SharedString::new());
    adapter.set_article_blocks(ModelRc::default());
    adapter.set_article_sources(ModelRc::default());
    adapter.set_article_services(ModelRc::default());
}
