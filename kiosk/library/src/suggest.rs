//! Categories to offer when a search finds nothing, so the screen never
//! ends empty.
//!
//! A query with no hits often still shares characters or syllables with a
//! category's vocabulary: `借钱` has no exact match but 借 and 钱 appear in
//! 民间借贷's keywords; `jiekuan` splits into jie+kuan, readings of 借 and
//! 款. Categories are scored by how many of the query's characters (or
//! pinyin pieces) occur in their name, blurb, article titles and keywords;
//! the name, blurb and keywords count double, being the words chosen to
//! describe the category. Scored categories come first, best first; then
//! every other category in grid order.
//!
//! The vocabulary is gathered once, when the library is loaded, so a
//! suggestion costs microseconds even for a large library.

use std::collections::{HashMap, HashSet};

use crate::library::{Category, Library};
use crate::readings::{Piece, initials, readings, segmentations};
use crate::text::{CellKind, cells, is_han, normalize};

/// What each category's words contain, with weights.
#[derive(Debug, Clone, Default)]
pub(crate) struct Vocabulary {
    /// Per category (library order): character → weight.
    chars: Vec<HashMap<char, u32>>,
    /// Per category: `i:<initial>` / `f:<syllable>` → weight.
    sounds: Vec<HashMap<String, u32>>,
}

impl Vocabulary {
    pub(crate) fn of(library: &Library) -> Vocabulary {
        let mut vocabulary = Vocabulary::default();
        for category in library.categories() {
            let mut chars: HashMap<char, u32> = HashMap::new();
            let mut add = |text: &str, weight: u32| {
                for c in text.chars().filter(|&c| is_han(c)) {
                    let w = chars.entry(c).or_insert(0);
                    *w = (*w).max(weight);
                }
            };
            add(&category.name, 2);
            add(&category.blurb, 2);
            for article in library.articles_in(&category.slug) {
                add(article.title(), 1);
                for k in article.keywords() {
                    add(k, 2);
                }
            }
            let mut sounds: HashMap<String, u32> = HashMap::new();
            for (&c, &w) in &chars {
                for r in readings(c) {
                    let keys = initials(&r)
                        .map(|i| format!("i:{i}"))
                        .chain([format!("f:{r}")])
                        .collect::<Vec<_>>();
                    for key in keys {
                        let e = sounds.entry(key).or_insert(0);
                        *e = (*e).max(w);
                    }
                }
            }
            vocabulary.chars.push(chars);
            vocabulary.sounds.push(sounds);
        }
        vocabulary
    }
}

/// Every category, the likeliest for `query` first.
pub fn suggest_categories<'l>(library: &'l Library, query: &str) -> Vec<&'l Category> {
    let vocabulary = library.vocabulary();
    let query: String = query.chars().take(40).map(normalize).collect();
    let han: Vec<char> = dedup(query.chars().filter(|&c| is_han(c)));
    let pieces: Vec<Piece> = dedup(
        cells(&query)
            .filter_map(|cell| match cell.kind {
                CellKind::Word(w) => segmentations(&w, true, 1).into_iter().next(),
                CellKind::Han(_) => None,
            })
            .flatten(),
    );
    let mut scored: Vec<(u32, usize, &Category)> = library
        .categories()
        .iter()
        .enumerate()
        .map(|(order, category)| {
            let (Some(chars), Some(sounds)) =
                (vocabulary.chars.get(order), vocabulary.sounds.get(order))
            else {
                return (0, order, category);
            };
            let mut score: u32 = han.iter().map(|c| chars.get(c).copied().unwrap_or(0)).sum();
            for piece in &pieces {
                score += match piece {
                    Piece::Initial(s) => sounds.get(&format!("i:{s}")).copied().unwrap_or(0),
                    Piece::Full(s) => sounds.get(&format!("f:{s}")).copied().unwrap_or(0),
                    Piece::Prefix(s) => sounds
                        .iter()
                        .filter(|(k, _)| {
                            k.strip_prefix("f:")
                                .is_some_and(|r| r.starts_with(s.as_str()))
                        })
                        .map(|(_, &w)| w)
                        .max()
                        .unwrap_or(0),
                };
            }
            (score, order, category)
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, _, c)| c).collect()
}

fn dedup<T: Eq + std::hash::Hash + Clone>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut seen = HashSet::new();
    items.filter(|i| seen.insert(i.clone())).collect()
}
