//! The whole legal-information library, loaded and validated as one unit.
//!
//! A load either returns every article, all checked, or a [`ContentError`]
//! listing every problem in every file: a half-loaded library is never shown
//! to residents, and an editor fixes all mistakes in one round.
//!
//! Order: categories as `categories.toml` lists them; within a category,
//! articles by file name. File-name order (rather than title order, which
//! for Chinese would mean code-point order and look random to readers) lets
//! editors arrange a category by naming files, and is the same on every
//! machine, so it also serves as search's stable tiebreak.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::article::Article;
use crate::error::{ContentError, ContentProblem, Problem};
use crate::parse::parse_article;
use crate::statutes::{Statutes, Unresolved};
use crate::suggest::Vocabulary;

/// One category tile.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Folder name and id, e.g. `marriage-family`.
    pub slug: String,
    /// Tile title, e.g. 婚姻家庭.
    pub name: String,
    /// One line under the title.
    pub blurb: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoriesFile {
    category: Vec<Category>,
}

/// The loaded, validated library.
#[derive(Debug, Clone)]
pub struct Library {
    categories: Vec<Category>,
    /// Library order: by category, then file name.
    articles: Vec<Article>,
    /// Per category (same index as `categories`), its range in `articles`.
    ranges: Vec<Range<usize>>,
    by_id: HashMap<String, usize>,
    hash: u64,
    /// What category suggestions score against, gathered at load (which
    /// runs off the UI thread) so that a suggestion costs microseconds.
    vocabulary: Vocabulary,
}

/// Collects problems across files.
struct Problems(Vec<ContentProblem>);

impl Problems {
    fn add(&mut self, path: &Path, problem: Problem) {
        self.0.push(ContentProblem {
            path: path.to_path_buf(),
            problem,
        });
    }
}

impl Library {
    /// Loads `content_dir/categories.toml` and every `<slug>/*.md`, checking
    /// each article and every citation against `statutes`.
    pub fn load(
        content_dir: impl AsRef<Path>,
        statutes: &Statutes,
    ) -> Result<Library, ContentError> {
        let dir = content_dir.as_ref();
        let mut problems = Problems(Vec::new());
        let mut hasher = Fnv::new();

        let categories_path = dir.join("categories.toml");
        let categories = read_categories(&categories_path, &mut problems, &mut hasher);

        // (folder, files) with folder "" for stray files in the root.
        let folders = list_article_files(dir, &mut problems);
        let slug_index: HashMap<&str, usize> = categories
            .iter()
            .enumerate()
            .map(|(i, c)| (c.slug.as_str(), i))
            .collect();
        for (folder, files) in &folders {
            if !folder.is_empty() && !slug_index.contains_key(folder.as_str()) && !files.is_empty()
            {
                problems.add(&dir.join(folder), Problem::UnknownFolder(folder.clone()));
            }
        }
        // Categories in file order first, then unknown folders (to report
        // their files' own problems too).
        let mut ordered: Vec<&(String, Vec<PathBuf>)> = folders.iter().collect();
        ordered.sort_by_key(|(folder, _)| {
            (
                slug_index
                    .get(folder.as_str())
                    .copied()
                    .unwrap_or(usize::MAX),
                folder.clone(),
            )
        });

        let mut articles: Vec<Article> = Vec::new();
        let mut by_id: HashMap<String, usize> = HashMap::new();
        // Every parsed id, valid article or not, so a duplicate is reported
        // even when the first file has problems of its own.
        let mut seen_ids: HashMap<String, PathBuf> = HashMap::new();
        for (folder, files) in ordered {
            for path in files {
                let text = match std::fs::read(path) {
                    Ok(bytes) => {
                        hasher.write(relative(dir, path).as_bytes());
                        hasher.write(&bytes);
                        match String::from_utf8(bytes) {
                            Ok(text) => text,
                            Err(_) => {
                                problems.add(path, Problem::Unreadable("not UTF-8 text".into()));
                                continue;
                            }
                        }
                    }
                    Err(e) => {
                        problems.add(path, Problem::Unreadable(e.to_string()));
                        continue;
                    }
                };
                let draft = match parse_article(path, &text) {
                    Ok(draft) => draft,
                    Err(e) => {
                        problems.0.extend(e.problems);
                        continue;
                    }
                };
                let mut ok = true;
                if !slug_index.contains_key(draft.category.as_str()) && !categories.is_empty() {
                    problems.add(path, Problem::UnknownCategory(draft.category.clone()));
                    ok = false;
                } else if &draft.category != folder {
                    problems.add(
                        path,
                        Problem::WrongFolder {
                            category: draft.category.clone(),
                            folder: folder.clone(),
                        },
                    );
                    ok = false;
                }
                if let Some(other) = seen_ids.get(&draft.id) {
                    problems.add(
                        path,
                        Problem::DuplicateId {
                            id: draft.id.clone(),
                            other: other.clone(),
                        },
                    );
                    ok = false;
                } else {
                    seen_ids.insert(draft.id.clone(), path.clone());
                }
                for citation in &draft.sources {
                    let problem = match statutes.resolve(citation) {
                        Ok(()) => continue,
                        Err(Unresolved::UnknownLaw) => Problem::UnknownLaw {
                            citation: citation.to_string(),
                            law: citation.law.clone(),
                        },
                        Err(Unresolved::Superseded(why)) => Problem::SupersededLaw {
                            citation: citation.to_string(),
                            law: citation.law.clone(),
                            why,
                        },
                        Err(Unresolved::NoSuchArticle(label)) => Problem::NoSuchArticle {
                            citation: citation.to_string(),
                            law: citation.law.clone(),
                            label,
                        },
                    };
                    problems.add(path, problem);
                    ok = false;
                }
                if ok {
                    by_id.insert(draft.id.clone(), articles.len());
                    articles.push(Article::new(draft, path.clone()));
                }
            }
        }

        if !problems.0.is_empty() {
            return Err(ContentError {
                problems: problems.0,
            });
        }
        // Files were visited in category order, so each category's articles
        // are contiguous.
        let ranges = categories
            .iter()
            .map(|c| {
                let start = articles.iter().position(|a| a.category() == c.slug);
                match start {
                    Some(start) => {
                        let len = articles[start..]
                            .iter()
                            .take_while(|a| a.category() == c.slug)
                            .count();
                        start..start + len
                    }
                    None => 0..0,
                }
            })
            .collect();
        let mut library = Library {
            categories,
            articles,
            ranges,
            by_id,
            hash: hasher.finish(),
            vocabulary: Vocabulary::default(),
        };
        library.vocabulary = Vocabulary::of(&library);
        Ok(library)
    }

    /// Categories in the order of `categories.toml`.
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    /// The category with this slug.
    pub fn category(&self, slug: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.slug == slug)
    }

    /// A category's articles, by file name (empty for an unknown slug).
    pub fn articles_in(&self, slug: &str) -> &[Article] {
        self.categories
            .iter()
            .position(|c| c.slug == slug)
            .map_or(&[], |i| &self.articles[self.ranges[i].clone()])
    }

    /// Every article in library order (by category, then file name).
    pub fn articles(&self) -> &[Article] {
        &self.articles
    }

    /// The article with this id.
    pub fn article(&self, id: &str) -> Option<&Article> {
        self.by_id.get(id).map(|&i| &self.articles[i])
    }

    /// A hash of every byte the library was loaded from (and the files'
    /// relative paths): equal hashes mean an identical library, so an
    /// importer can skip work at start-up. Stable across machines and runs.
    pub fn content_hash(&self) -> u64 {
        self.hash
    }

    pub(crate) fn vocabulary(&self) -> &Vocabulary {
        &self.vocabulary
    }
}

fn read_categories(path: &Path, problems: &mut Problems, hasher: &mut Fnv) -> Vec<Category> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            problems.add(path, Problem::Unreadable(e.to_string()));
            return Vec::new();
        }
    };
    hasher.write(b"categories.toml");
    hasher.write(text.as_bytes());
    let file: CategoriesFile = match toml::from_str(&text) {
        Ok(file) => file,
        Err(e) => {
            problems.add(path, Problem::Categories(e.message().trim().to_string()));
            return Vec::new();
        }
    };
    let mut seen = std::collections::HashSet::new();
    let mut ok = true;
    for c in &file.category {
        let well_formed = !c.slug.is_empty()
            && c.slug.split('-').all(|w| {
                !w.is_empty()
                    && w.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
        if !well_formed {
            problems.add(
                path,
                Problem::Categories(format!(
                    "slug `{}` must be lowercase words joined by `-`",
                    c.slug
                )),
            );
            ok = false;
        }
        if !seen.insert(c.slug.clone()) {
            problems.add(
                path,
                Problem::Categories(format!("slug `{}` is listed twice", c.slug)),
            );
            ok = false;
        }
        if c.name.trim().is_empty() {
            problems.add(
                path,
                Problem::Categories(format!("category `{}` has an empty name", c.slug)),
            );
            ok = false;
        }
    }
    if ok { file.category } else { Vec::new() }
}

/// Lists `*.md` files per sub-folder (sorted), plus stray `*.md` files in the
/// root (folder ""), skipping README.md and hidden files.
fn list_article_files(dir: &Path, problems: &mut Problems) -> Vec<(String, Vec<PathBuf>)> {
    let mut folders: Vec<(String, Vec<PathBuf>)> = Vec::new();
    let entries = match read_dir_sorted(dir) {
        Ok(entries) => entries,
        Err(e) => {
            problems.add(dir, Problem::Unreadable(e.to_string()));
            return folders;
        }
    };
    let mut stray = Vec::new();
    for path in entries {
        let name = file_name(&path);
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            match read_dir_sorted(&path) {
                Ok(files) => {
                    let files = files.into_iter().filter(|p| is_article_file(p)).collect();
                    folders.push((name, files));
                }
                Err(e) => problems.add(&path, Problem::Unreadable(e.to_string())),
            }
        } else if is_article_file(&path) && name != "README.md" {
            stray.push(path);
        }
    }
    if !stray.is_empty() {
        folders.push((String::new(), stray));
    }
    folders
}

fn is_article_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "md")
        && !file_name(path).starts_with('.')
        && !path.is_dir()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read_dir_sorted(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut paths = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()?;
    paths.sort();
    Ok(paths)
}

/// The path relative to the content folder with `/` separators, so the hash
/// does not depend on where the library is installed.
fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// 64-bit FNV-1a: tiny, dependency-free and stable across platforms and
/// releases, which is all change detection needs (this is not a security
/// boundary).
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        // Length first, so ("ab","c") and ("a","bc") differ.
        for b in (bytes.len() as u64).to_le_bytes().iter().chain(bytes) {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
