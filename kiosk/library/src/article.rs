//! What one article of the library is: its front-matter fields and its body
//! as blocks the screen renders.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::citation::Citation;

/// One block of an article's body. The kiosk renders exactly these four, so
/// the parser turns any other Markdown into an error rather than letting it
/// reach the screen as raw symbols.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A `## ` section heading.
    Heading(String),
    /// A plain paragraph (soft-wrapped lines joined).
    Paragraph(String),
    /// A `- ` bullet.
    Bullet(String),
    /// A `1. ` numbered step, with the number the author wrote.
    Numbered(u32, String),
}

impl Block {
    /// The block's text without its Markdown marker.
    pub fn text(&self) -> &str {
        match self {
            Block::Heading(t) | Block::Paragraph(t) | Block::Bullet(t) | Block::Numbered(_, t) => t,
        }
    }
}

/// Help that an article can point the resident to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// The 12348 legal hotline.
    Hotline,
    /// 法律援助: applying for free legal aid.
    LegalAid,
    /// 人民调解: free people's mediation.
    Mediation,
    /// 公证: notarisation.
    Notary,
    /// 律师咨询: a consultation with the duty lawyer.
    Lawyer,
}

impl Service {
    /// Every service, in the order the README lists them.
    pub const ALL: [Service; 5] = [
        Service::Hotline,
        Service::LegalAid,
        Service::Mediation,
        Service::Notary,
        Service::Lawyer,
    ];

    /// The front-matter spelling, e.g. `legal-aid`.
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Hotline => "hotline",
            Service::LegalAid => "legal-aid",
            Service::Mediation => "mediation",
            Service::Notary => "notary",
            Service::Lawyer => "lawyer",
        }
    }

    /// Parses the front-matter spelling.
    pub fn parse(s: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|svc| svc.as_str() == s)
    }
}

/// A calendar date (the `updated` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Four-digit year.
    pub year: u16,
    /// 1–12.
    pub month: u8,
    /// 1–31.
    pub day: u8,
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// An article as parsed from one file, checked on its own but not yet
/// against the rest of the library (categories, other ids, statutes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleDraft {
    /// Unique id, e.g. `marriage-divorce-registration`.
    pub id: String,
    /// The question or statement shown as the title.
    pub title: String,
    /// The category slug.
    pub category: String,
    /// Words a resident might search for.
    pub keywords: Vec<String>,
    /// One or two sentences for receipts and search results.
    pub summary: String,
    /// Every statute article the body relies on, in the author's order.
    pub sources: Vec<Citation>,
    /// Related help.
    pub services: Vec<Service>,
    /// When the text was last checked against the statutes.
    pub updated: Date,
    /// The body.
    pub body: Vec<Block>,
}

/// A validated article of a loaded [`crate::Library`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    draft: ArticleDraft,
    path: PathBuf,
}

impl Article {
    pub(crate) fn new(draft: ArticleDraft, path: PathBuf) -> Article {
        Article { draft, path }
    }

    /// Unique id.
    pub fn id(&self) -> &str {
        &self.draft.id
    }
    /// Title.
    pub fn title(&self) -> &str {
        &self.draft.title
    }
    /// Category slug.
    pub fn category(&self) -> &str {
        &self.draft.category
    }
    /// Search keywords.
    pub fn keywords(&self) -> &[String] {
        &self.draft.keywords
    }
    /// Summary.
    pub fn summary(&self) -> &str {
        &self.draft.summary
    }
    /// Cited statute articles; each resolves in the [`crate::Statutes`] the
    /// library was loaded with.
    pub fn sources(&self) -> &[Citation] {
        &self.draft.sources
    }
    /// Related help.
    pub fn services(&self) -> &[Service] {
        &self.draft.services
    }
    /// Date last checked.
    pub fn updated(&self) -> Date {
        self.draft.updated
    }
    /// Body blocks.
    pub fn body(&self) -> &[Block] {
        &self.draft.body
    }
    /// The file it was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
