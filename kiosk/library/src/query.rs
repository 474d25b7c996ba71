//! Turning what a resident typed into what a match must look like.
//!
//! A query becomes one or more *alternatives*; each is a sequence of cell
//! matchers, one per consecutive cell of a match (see [`crate::text`]). Han
//! characters must match themselves. A run of Latin letters is read both as
//! a literal word (for `APP` in a title) and as every plausible split into
//! pinyin pieces (see [`crate::readings`]). Whitespace and the pinyin
//! syllable separator `'` separate runs and are otherwise ignored;
//! punctuation is ignored. The query matches where any alternative matches.
//!
//! Whatever the kind of query, every match is the *whole* query over one
//! run of consecutive cells of one field (the title, one keyword, one line
//! of the body), and that run is what gets highlighted. Nothing is skipped,
//! and no part of the query is dropped to find more:
//!
//! - Chinese, `离婚`: those characters, adjacent. Spaces and punctuation in
//!   the query do not count (`离 婚` and `离，婚` are 离婚); a gap in the text
//!   does (离，婚 in a text is not 离婚).
//! - Initials, `hy`, `flyz`, `qqqq`: one character per initial (`zh`, `ch`,
//!   `sh` may be one initial), adjacent. `flyz` is 法律援助; `fy` is never
//!   法…援 of it; `qqqq` needs four adjacent q-characters (亲戚欠钱). A
//!   single letter may match a single character.
//! - Full pinyin and mixes, `hunyin`, `huny`, `hyin`, `lihunxieyi`: pieces,
//!   each one character's syllable in full or its initial; the last piece
//!   of the query may be an unfinished syllable (`hunyi`).
//! - Chinese then letters, `离hun`, `婚yin`, `离h` (characters picked from
//!   the keyboard's candidates, then letters still composing): the
//!   characters literally, then the letters as the pinyin of the characters
//!   right after them (or as the start of a Latin word right after them).
//!   Letters then Chinese, `hun姻`, likewise.
//! - Latin words and digits, `12348`, `APP`: a word equal to it; the last
//!   one may be unfinished (`1234` finds 12348).
//!
//! Pinyin is matched in titles and keywords only; bodies match Chinese and
//! words literally. A query longer than [`MAX_QUERY_CHARS`] finds nothing
//! rather than a part of it.

use crate::readings::{Piece, initials, segmentations};
use crate::text::{CellKind, cells, is_han, normalize};

/// A query with more letters, digits and characters than this (spaces and
/// punctuation not counted) finds nothing: no resident types more, no
/// title or keyword is that long, and it bounds the work a pasted
/// paragraph could cause.
const MAX_QUERY_CHARS: usize = 40;
/// Pinyin splits considered per run of letters.
const MAX_SPLITS: usize = 24;
/// Alternatives considered per query.
const MAX_ALTERNATIVES: usize = 48;

/// What one cell of a match must be.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum CellMatch {
    /// This Han character.
    Han(char),
    /// A Latin/digit word equal to this.
    Word(String),
    /// A Latin/digit word starting with this (the query's last run).
    WordPrefix(String),
    /// A Han character with this reading.
    Syllable(String),
    /// A Han character with a reading starting with this (last piece typed).
    SyllablePrefix(String),
    /// A Han character with a reading of this initial (`h`, `zh`).
    Initial(String),
}

impl CellMatch {
    /// Whether this matcher needs pinyin (which only titles and keywords
    /// are searched for).
    pub(crate) fn is_pinyin(&self) -> bool {
        matches!(
            self,
            CellMatch::Syllable(_) | CellMatch::SyllablePrefix(_) | CellMatch::Initial(_)
        )
    }

    /// Whether a cell with this content (and, for Han, these readings)
    /// satisfies the matcher.
    pub(crate) fn accepts(&self, kind: &CellKind, readings: &[String]) -> bool {
        match (self, kind) {
            (CellMatch::Han(q), CellKind::Han(c)) => q == c,
            (CellMatch::Word(q), CellKind::Word(w)) => q == w,
            (CellMatch::WordPrefix(q), CellKind::Word(w)) => w.starts_with(q.as_str()),
            (CellMatch::Syllable(s), CellKind::Han(_)) => readings.iter().any(|r| r == s),
            (CellMatch::SyllablePrefix(s), CellKind::Han(_)) => {
                readings.iter().any(|r| r.starts_with(s.as_str()))
            }
            (CellMatch::Initial(s), CellKind::Han(_)) => {
                readings.iter().any(|r| initials(r).any(|i| i == s))
            }
            _ => false,
        }
    }
}

/// The alternatives for a query; empty when there is nothing to search for,
/// or more than can be matched whole (see [`MAX_QUERY_CHARS`]).
pub(crate) fn alternatives(query: &str) -> Vec<Vec<CellMatch>> {
    // Punctuation in a query is noise, not a boundary: drop it, keeping
    // whitespace, which separates runs of letters and is then dropped too
    // (`离 婚` is the phrase 离婚). An apostrophe is the pinyin syllable
    // separator (`xi'an` is two syllables, 西安, not 先), so it separates
    // like a space.
    let mut cleaned = String::new();
    let mut kept = 0;
    for c in query.chars().map(normalize) {
        if matches!(c, '\'' | '\u{2019}') || c.is_whitespace() {
            if !cleaned.ends_with(' ') {
                cleaned.push(' ');
            }
        } else if c.is_alphanumeric() || is_han(c) {
            kept += 1;
            if kept > MAX_QUERY_CHARS {
                // Every hit must contain the whole query; searching for a
                // cut-off part of it would break that.
                return Vec::new();
            }
            cleaned.push(c);
        }
    }
    let tokens: Vec<CellKind> = cells(&cleaned).map(|cell| cell.kind).collect();
    let mut out: Vec<Vec<CellMatch>> = vec![Vec::new()];
    let count = tokens.len();
    for (index, token) in tokens.into_iter().enumerate() {
        let options = token_options(token, index + 1 == count);
        let mut next = Vec::new();
        'outer: for prefix in &out {
            for option in &options {
                if next.len() >= MAX_ALTERNATIVES {
                    break 'outer;
                }
                let mut alt = prefix.clone();
                alt.extend(option.iter().cloned());
                next.push(alt);
            }
        }
        out = next;
    }
    out.retain(|alt| !alt.is_empty());
    out
}

/// The ways one query cell can match consecutive text cells.
fn token_options(token: CellKind, last: bool) -> Vec<Vec<CellMatch>> {
    match token {
        CellKind::Han(c) => vec![vec![CellMatch::Han(c)]],
        CellKind::Word(word) => {
            let mut options = Vec::new();
            for split in segmentations(&word, last, MAX_SPLITS) {
                options.push(
                    split
                        .into_iter()
                        .map(|piece| match piece {
                            Piece::Initial(s) => CellMatch::Initial(s),
                            Piece::Full(s) => CellMatch::Syllable(s),
                            Piece::Prefix(s) => CellMatch::SyllablePrefix(s),
                        })
                        .collect(),
                );
            }
            options.push(vec![if last {
                CellMatch::WordPrefix(word)
            } else {
                CellMatch::Word(word)
            }]);
            options
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CellMatch::*;

    #[test]
    fn chinese_query_is_a_phrase_of_characters() {
        assert_eq!(alternatives("离婚"), vec![vec![Han('离'), Han('婚')]]);
        assert_eq!(alternatives(" 离 婚 "), vec![vec![Han('离'), Han('婚')]]);
    }

    #[test]
    fn an_apostrophe_separates_syllables() {
        assert_eq!(
            alternatives("xi'an"),
            alternatives("xi an"),
            "two syllables, as the IME shows them"
        );
        assert!(!alternatives("xi'an").contains(&vec![SyllablePrefix("xian".into())]));
    }

    #[test]
    fn a_query_too_long_to_match_whole_has_no_alternatives() {
        let longest = "离".repeat(MAX_QUERY_CHARS);
        assert_eq!(alternatives(&longest).len(), 1);
        assert!(alternatives(&format!("{longest}婚")).is_empty());
        // Spaces and punctuation do not count.
        let spaced = format!("{longest}{}", " ，".repeat(1000));
        assert_eq!(alternatives(&spaced).len(), 1);
    }

    #[test]
    fn blank_and_punctuation_only_queries_have_no_alternatives() {
        assert!(alternatives("").is_empty());
        assert!(alternatives("  \t ").is_empty());
        assert!(alternatives("，。？").is_empty());
    }

    #[test]
    fn letters_are_read_as_pinyin_and_as_a_word() {
        let alts = alternatives("hunyin");
        assert!(alts.contains(&vec![WordPrefix("hunyin".into())]));
        assert!(alts.contains(&vec![Syllable("hun".into()), SyllablePrefix("yin".into())]));
        assert!(alternatives("hy").contains(&vec![Initial("h".into()), Initial("y".into())]));
    }

    #[test]
    fn full_width_letters_are_normalized() {
        assert!(alternatives("ＨＹ").contains(&vec![Initial("h".into()), Initial("y".into())]));
    }

    #[test]
    fn matchers_accept_the_cells_they_describe() {
        let hun = vec!["hun".to_string()];
        let kind = CellKind::Han('婚');
        assert!(Syllable("hun".into()).accepts(&kind, &hun));
        assert!(SyllablePrefix("hu".into()).accepts(&kind, &hun));
        assert!(Initial("h".into()).accepts(&kind, &hun));
        assert!(!Initial("hu".into()).accepts(&kind, &hun));
        assert!(!Syllable("hu".into()).accepts(&kind, &hun));
        assert!(WordPrefix("123".into()).accepts(&CellKind::Word("12348".into()), &[]));
        assert!(!Word("123".into()).accepts(&CellKind::Word("12348".into()), &[]));
    }
}
