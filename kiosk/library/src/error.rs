//! Problems found while loading the content library, collected so that an
//! editor sees every mistake in one run instead of fixing them one by one.

use std::fmt;
use std::path::PathBuf;

use crate::citation::CitationError;

/// Everything wrong with a content library (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentError {
    /// Each problem with the file it is in, in file order.
    pub problems: Vec<ContentProblem>,
}

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentProblem {
    /// The file (or folder) concerned.
    pub path: PathBuf,
    /// What is wrong.
    pub problem: Problem,
}

/// What can be wrong with a content file. The Display text is written for
/// the editor who has to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// The file or folder could not be read (or is not UTF-8).
    #[error("cannot read: {0}")]
    Unreadable(String),
    /// The file does not start with `+++`.
    #[error("the file must start with a `+++` line that opens the front matter")]
    MissingFrontMatter,
    /// No closing `+++`.
    #[error("the front matter opened by `+++` on line 1 is never closed by a second `+++` line")]
    UnterminatedFrontMatter,
    /// The front matter is not TOML.
    #[error("front matter is not valid TOML (line {line}): {message}")]
    Toml {
        /// Line in the file.
        line: usize,
        /// The TOML parser's message.
        message: String,
    },
    /// A required field is absent.
    #[error("missing required field `{0}`")]
    MissingField(&'static str),
    /// A field has the wrong TOML type.
    #[error("field `{field}` must be {expected}")]
    WrongType {
        /// The field.
        field: &'static str,
        /// What it must be, e.g. "a list of strings".
        expected: &'static str,
    },
    /// A field that the format does not have (often a typo).
    #[error(
        "unknown field `{0}`; the fields are id, title, category, keywords, summary, sources, services, updated"
    )]
    UnknownField(String),
    /// A field's value breaks the format's rules.
    #[error("field `{field}`: {reason}")]
    BadValue {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A `services` entry outside the allowed set.
    #[error("unknown service `{0}`; use hotline, legal-aid, mediation, notary or lawyer")]
    UnknownService(String),
    /// A `sources` entry that is not a citation.
    #[error("sources: {0}")]
    BadSource(CitationError),
    /// A citation whose law is not among the statutes.
    #[error("`{citation}` cites `{law}`, which is not a law short name in assets/laws")]
    UnknownLaw {
        /// The citation as written.
        citation: String,
        /// The law short name.
        law: String,
    },
    /// A citation of a law that may not be cited.
    #[error("`{citation}`: {law} may not be cited: {why}")]
    SupersededLaw {
        /// The citation as written.
        citation: String,
        /// The law short name.
        law: String,
        /// Why.
        why: &'static str,
    },
    /// A citation of an article the law does not have.
    #[error("`{citation}`: {law} has no article {label}")]
    NoSuchArticle {
        /// The citation as written.
        citation: String,
        /// The law short name.
        law: String,
        /// The heading looked for, e.g. 第一千二百七十条.
        label: String,
    },
    /// A bracket in the body that looks like a citation but is not one.
    #[error("line {line}: {error}")]
    BadInlineCitation {
        /// Line in the file.
        line: usize,
        /// Why it is not a citation.
        error: CitationError,
    },
    /// An inline citation missing from `sources`.
    #[error("line {line}: inline citation `{citation}` is not listed in `sources`")]
    InlineCitationNotInSources {
        /// Line in the file.
        line: usize,
        /// The citation.
        citation: String,
    },
    /// Markdown the kiosk does not render.
    #[error(
        "line {line}: {what} is not supported; use `## ` headings, paragraphs, `- ` bullets and `1. ` steps only"
    )]
    UnsupportedMarkup {
        /// Line in the file.
        line: usize,
        /// What was found.
        what: &'static str,
    },
    /// Nothing after the front matter.
    #[error("the body after the front matter is empty")]
    EmptyBody,
    /// The category is not in categories.toml.
    #[error("category `{0}` is not in categories.toml")]
    UnknownCategory(String),
    /// The file is not in its category's folder.
    #[error(
        "the file is in folder `{folder}` but its category is `{category}`; move it to `{category}/`"
    )]
    WrongFolder {
        /// The category in the front matter.
        category: String,
        /// The folder the file is in.
        folder: String,
    },
    /// Another file already has this id.
    #[error("id `{id}` is also used by {other}")]
    DuplicateId {
        /// The id.
        id: String,
        /// The other file.
        other: PathBuf,
    },
    /// A folder of articles whose name is not a category slug.
    #[error("folder `{0}` is not a category slug in categories.toml")]
    UnknownFolder(String),
    /// categories.toml is malformed.
    #[error("categories.toml: {0}")]
    Categories(String),
}

impl fmt::Display for ContentProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.problem)
    }
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "the content library has {n} problem{}:",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ContentError {}
