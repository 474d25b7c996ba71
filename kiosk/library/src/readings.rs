//! Pinyin: the readings of a character, and how a typed string of letters
//! splits into syllables, initials and a trailing partial syllable.
//!
//! The kiosk has no input method, so residents type pinyin on the on-screen
//! keyboard: full (`hunyin`), initials (`hy`), or a mix (`huny`, `hyin`,
//! `hunyinfa`). A typed string matches consecutive characters when it splits
//! into pieces where each piece is, for its character, one of the readings
//! in full or that reading's initial (its first letter, or zh/ch/sh), and the
//! last piece may be any beginning of a reading (the resident is still
//! typing). All readings of a polyphonic character count (长 is chang and
//! zhang), because guessing the one meant in context is not possible from a
//! single character and a missed article is worse than an extra one.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use pinyin::ToPinyinMulti;

use crate::text::is_han;

/// The readings of `c` as lowercase ASCII: tone marks dropped, ü written
/// both `v` (the keyboard convention) and `u` (what most people type).
pub(crate) fn readings(c: char) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let Some(multi) = c.to_pinyin_multi() else {
        return out;
    };
    for reading in multi {
        let plain = reading.plain();
        let mut push = |s: String| {
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase()) && !out.contains(&s) {
                out.push(s);
            }
        };
        if plain.contains('ü') {
            push(plain.replace('ü', "v"));
            push(plain.replace('ü', "u"));
        } else {
            push(plain.replace('ê', "e"));
        }
    }
    out
}

/// The initials a reading can be typed as: its first letter and, for
/// zh/ch/sh, the two-letter initial too.
pub(crate) fn initials(reading: &str) -> impl Iterator<Item = &str> {
    let two = ["zh", "ch", "sh"]
        .into_iter()
        .find(|p| reading.starts_with(p) && reading.len() > 2);
    reading.get(..1).into_iter().chain(two)
}

/// Every syllable some character can be read as.
fn syllables() -> &'static BTreeSet<String> {
    static SYLLABLES: OnceLock<BTreeSet<String>> = OnceLock::new();
    SYLLABLES.get_or_init(|| {
        (0x3400u32..=0x9FFF)
            .filter_map(char::from_u32)
            .filter(|&c| is_han(c))
            .flat_map(readings)
            .collect()
    })
}

fn is_syllable(s: &str) -> bool {
    syllables().contains(s)
}

fn is_syllable_prefix(s: &str) -> bool {
    syllables()
        .range::<str, _>((std::ops::Bound::Included(s), std::ops::Bound::Unbounded))
        .next()
        .is_some_and(|first| first.starts_with(s))
}

/// A letter or zh/ch/sh that begins some syllable.
fn is_initial(s: &str) -> bool {
    match s.len() {
        1 => is_syllable_prefix(s),
        2 => matches!(s, "zh" | "ch" | "sh"),
        _ => false,
    }
}

/// How one piece of typed pinyin must match its character.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Piece {
    /// Some reading has this initial (`h`, `zh`).
    Initial(String),
    /// Some reading is exactly this syllable.
    Full(String),
    /// Some reading starts with this (only as the last piece typed).
    Prefix(String),
}

/// The longest pinyin syllable (zhuang, shuang, chuang).
const MAX_SYLLABLE: usize = 6;

/// Splits a run of lowercase letters into pieces, every way that could be
/// meant, fewest pieces (so most whole syllables) first. `open_end` says the
/// run ends the query, so its last piece may be a partial syllable.
///
/// At most `cap` splits are returned: a bound on work, because many
/// syllables also split into an initial and a syllable (`lai` as `l` + `ai`,
/// `zheng` as `zh` + `eng`), so a long string has exponentially many splits.
/// Taking them fewest pieces first keeps the reading a resident meant: a
/// depth-first walk taking the longest piece first spent the cap on
/// `lin'eng'…` variants and never reached `li'neng'yao'hui'lai`.
pub(crate) fn segmentations(letters: &str, open_end: bool, cap: usize) -> Vec<Vec<Piece>> {
    let n = letters.len();
    if n == 0 || !letters.bytes().all(|b| b.is_ascii_lowercase()) {
        return Vec::new();
    }
    // ok[i][len - 1]: letters[i..i + len] can be one piece.
    let ok: Vec<[bool; MAX_SYLLABLE]> = (0..n)
        .map(|i| {
            let mut row = [false; MAX_SYLLABLE];
            for (len, slot) in row.iter_mut().enumerate().map(|(k, s)| (k + 1, s)) {
                let j = i + len;
                if j > n {
                    break;
                }
                let s = &letters[i..j];
                *slot = if j == n && open_end {
                    is_initial(s) || is_syllable_prefix(s)
                } else {
                    is_initial(s) || is_syllable(s)
                };
            }
            row
        })
        .collect();
    // splits[i][k]: letters[i..] splits into exactly k pieces; lets the walk
    // below enter only branches that end in a split.
    let mut splits = vec![vec![false; n + 1]; n + 1];
    splits[n][0] = true;
    for i in (0..n).rev() {
        for len in 1..=MAX_SYLLABLE.min(n - i) {
            if ok[i][len - 1] {
                for k in 1..=n - i {
                    if splits[i + len][k - 1] {
                        splits[i][k] = true;
                    }
                }
            }
        }
    }
    let mut walk = Walk {
        letters,
        open_end,
        ok: &ok,
        splits: &splits,
        stack: Vec::new(),
        out: Vec::new(),
        cap,
    };
    let counts = splits[0]
        .iter()
        .enumerate()
        .filter_map(|(pieces, &can)| can.then_some(pieces));
    for pieces in counts {
        if walk.out.len() >= cap {
            break;
        }
        walk.walk(0, pieces);
    }
    walk.out
}

/// The depth-first part of [`segmentations`]: every split of the rest into
/// exactly the given number of pieces, longest first piece first.
struct Walk<'a> {
    letters: &'a str,
    open_end: bool,
    ok: &'a [[bool; MAX_SYLLABLE]],
    splits: &'a [Vec<bool>],
    stack: Vec<(usize, usize)>,
    out: Vec<Vec<Piece>>,
    cap: usize,
}

impl Walk<'_> {
    fn walk(&mut self, i: usize, pieces: usize) {
        let n = self.letters.len();
        if self.out.len() >= self.cap {
            return;
        }
        if i == n {
            let split = self
                .stack
                .iter()
                .map(|&(a, b)| classify(&self.letters[a..b], b == n && self.open_end))
                .collect();
            self.out.push(split);
            return;
        }
        // Entered only where `splits` says the rest takes `pieces` (>= 1).
        let Some(rest) = pieces.checked_sub(1) else {
            return;
        };
        for len in (1..=MAX_SYLLABLE.min(n - i)).rev() {
            if self.ok[i][len - 1] && self.splits[i + len][rest] {
                self.stack.push((i, i + len));
                self.walk(i + len, rest);
                self.stack.pop();
            }
        }
    }
}

fn classify(s: &str, last_open: bool) -> Piece {
    if is_initial(s) {
        Piece::Initial(s.to_string())
    } else if last_open {
        Piece::Prefix(s.to_string())
    } else {
        Piece::Full(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn init(s: &str) -> Piece {
        Piece::Initial(s.into())
    }
    fn full(s: &str) -> Piece {
        Piece::Full(s.into())
    }
    fn pre(s: &str) -> Piece {
        Piece::Prefix(s.into())
    }

    #[test]
    fn polyphonic_characters_have_every_reading() {
        let r = readings('长');
        assert!(
            r.contains(&"chang".to_string()) && r.contains(&"zhang".to_string()),
            "{r:?}"
        );
        assert_eq!(readings('婚'), vec!["hun"]);
        assert!(readings('a').is_empty());
    }

    #[test]
    fn u_umlaut_can_be_typed_as_v_or_u() {
        let r = readings('女');
        assert!(
            r.contains(&"nv".to_string()) && r.contains(&"nu".to_string()),
            "{r:?}"
        );
    }

    #[test]
    fn zh_ch_sh_count_as_initials() {
        assert_eq!(initials("zhang").collect::<Vec<_>>(), vec!["z", "zh"]);
        assert_eq!(initials("hun").collect::<Vec<_>>(), vec!["h"]);
    }

    #[test]
    fn full_pinyin_splits_into_syllables_first() {
        let s = segmentations("hunyin", true, 32);
        assert_eq!(s[0], vec![full("hun"), pre("yin")]);
    }

    #[test]
    fn initials_and_mixes_split_as_typed() {
        assert!(segmentations("hy", true, 32).contains(&vec![init("h"), init("y")]));
        assert!(segmentations("hyin", true, 32).contains(&vec![init("h"), pre("yin")]));
        assert!(segmentations("huny", true, 32).contains(&vec![full("hun"), init("y")]));
        assert!(segmentations("hunyinfa", true, 32).contains(&vec![
            full("hun"),
            full("yin"),
            pre("fa")
        ]));
    }

    #[test]
    fn letters_that_cannot_be_pinyin_give_no_split() {
        assert!(segmentations("iu", true, 32).is_empty());
        assert!(segmentations("", true, 32).is_empty());
        assert!(segmentations("ab1", true, 32).is_empty());
    }

    #[test]
    fn long_full_pinyin_keeps_its_meant_reading_under_the_cap() {
        // Many splits exist (l'ai, zh'eng, …); the fewest-piece ones come
        // first, so the cap cannot crowd out the reading meant.
        let s = segmentations("linengyaohuilai", true, 24);
        assert!(s.contains(&vec![
            full("li"),
            full("neng"),
            full("yao"),
            full("hui"),
            pre("lai")
        ]));
        let s = segmentations("zenmebangongzheng", true, 24);
        assert!(s.contains(&vec![
            full("zen"),
            full("me"),
            full("ban"),
            full("gong"),
            pre("zheng")
        ]));
        assert!(s.windows(2).all(|w| w[0].len() <= w[1].len()));
    }

    #[test]
    fn ambiguous_input_is_capped() {
        let s = segmentations(&"xian".repeat(10), true, 16);
        assert_eq!(s.len(), 16);
    }
}
