//! The index's vocabulary: which terms a cell is filed under, and which
//! term lists a query must intersect. Both directions live here so they
//! cannot drift apart.
//!
//! Titles and keywords (the *head*) are filed richly: each Han character
//! under itself, under each reading (`f:hun`), each initial (`i:h`, and
//! `i:zh` for zh/ch/sh), and, with the next character, each pair of
//! initials (`j:h.y`). Single-letter initials are each shared by a tenth of
//! all characters, so intersecting their lists was the slowest part of
//! search; a pair list is about a hundred times shorter. Bodies are filed
//! only by character and word, marked `~` (`~婚`): kept apart from the head
//! so a search can finish with titles and keywords and read body lists only
//! when it needs more hits, and without pinyin, which in long text would
//! match nearly everything.

use std::collections::HashMap;

use crate::query::CellMatch;
use crate::readings::{initials, readings};
use crate::text::{Cell, CellKind};

/// Prefix of every body term.
const BODY: &str = "~";

/// What a cell of a head field is filed under, cached per character.
#[derive(Debug, Default)]
pub(crate) struct HeadTerms {
    chars: HashMap<char, (Vec<String>, Vec<String>)>,
}

impl HeadTerms {
    /// (terms of the character alone, its initial forms).
    fn char_info(&mut self, c: char) -> &(Vec<String>, Vec<String>) {
        self.chars.entry(c).or_insert_with(|| {
            let mut terms = vec![c.to_string()];
            let mut inits: Vec<String> = Vec::new();
            for r in readings(c) {
                for i in initials(&r) {
                    if !inits.iter().any(|x| x == i) {
                        inits.push(i.to_string());
                    }
                }
                terms.push(format!("f:{r}"));
            }
            terms.extend(inits.iter().map(|i| format!("i:{i}")));
            (terms, inits)
        })
    }

    /// Calls `file(term)` for each term of `cell`, given the next cell of
    /// the same field (for pair terms).
    pub(crate) fn for_cell(
        &mut self,
        cell: &Cell,
        next: Option<&Cell>,
        mut file: impl FnMut(&str),
    ) {
        match &cell.kind {
            CellKind::Word(w) => file(&format!("w:{w}")),
            CellKind::Han(c) => {
                let (terms, inits) = self.char_info(*c).clone();
                for t in &terms {
                    file(t);
                }
                if let Some(Cell {
                    pos,
                    kind: CellKind::Han(n),
                    ..
                }) = next
                    && *pos == cell.pos + 1
                {
                    let next_inits = self.char_info(*n).1.clone();
                    for a in &inits {
                        for b in &next_inits {
                            file(&format!("j:{a}.{b}"));
                        }
                    }
                }
            }
        }
    }
}

/// The term of a body cell.
pub(crate) fn body_term(cell: &Cell) -> String {
    match &cell.kind {
        CellKind::Han(c) => format!("{BODY}{c}"),
        CellKind::Word(w) => format!("{BODY}w:{w}"),
    }
}

/// A posting list to read: one term, or the union of all terms with a
/// prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Lookup {
    /// Exactly this term.
    Term(String),
    /// Every term starting with this.
    Prefix(String),
}

/// Which lists a plan reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Area {
    /// Titles and keywords.
    Head,
    /// Bodies.
    Body,
}

/// The lists whose intersection, shifted by each offset, gives the starts
/// of an alternative's matches. Offset 0 is always present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Head or body lists (they pack positions differently).
    pub area: Area,
    /// Cells in a match.
    pub len: u32,
    /// (cell offset, list).
    pub parts: Vec<(u32, Lookup)>,
}

/// The plan for matching `alt` in titles and keywords.
pub(crate) fn head_plan(alt: &[CellMatch]) -> Plan {
    let mut parts = Vec::new();
    // Initials are checked through pair lists with a pinyin neighbour when
    // there is one (exact: a pair term asserts both cells' initials).
    let initial_form = |m: &CellMatch| -> Option<String> {
        match m {
            CellMatch::Initial(s) => Some(s.clone()),
            CellMatch::Syllable(s) | CellMatch::SyllablePrefix(s) => {
                let two = ["zh", "ch", "sh"].into_iter().find(|p| s.starts_with(p));
                Some(two.map_or_else(|| s[..1].to_string(), str::to_string))
            }
            _ => None,
        }
    };
    let mut covered = vec![false; alt.len()];
    for i in 0..alt.len() {
        if !matches!(alt[i], CellMatch::Initial(_)) || covered[i] {
            continue;
        }
        let pair_with = [i + 1, i.wrapping_sub(1)]
            .into_iter()
            .find(|&j| j < alt.len() && initial_form(&alt[j]).is_some());
        match pair_with {
            Some(j) => {
                let (a, b) = (i.min(j), i.max(j));
                let (fa, fb) = (initial_form(&alt[a]), initial_form(&alt[b]));
                if let (Some(fa), Some(fb)) = (fa, fb) {
                    parts.push((a as u32, Lookup::Term(format!("j:{fa}.{fb}"))));
                }
                covered[a] |= matches!(alt[a], CellMatch::Initial(_));
                covered[b] |= matches!(alt[b], CellMatch::Initial(_));
            }
            None => parts.push((
                i as u32,
                Lookup::Term(format!("i:{}", initial_form(&alt[i]).unwrap_or_default())),
            )),
        }
    }
    for (i, m) in alt.iter().enumerate() {
        let lookup = match m {
            CellMatch::Han(c) => Lookup::Term(c.to_string()),
            CellMatch::Word(w) => Lookup::Term(format!("w:{w}")),
            CellMatch::WordPrefix(w) => Lookup::Prefix(format!("w:{w}")),
            CellMatch::Syllable(s) => Lookup::Term(format!("f:{s}")),
            CellMatch::SyllablePrefix(s) => Lookup::Prefix(format!("f:{s}")),
            CellMatch::Initial(_) => continue,
        };
        parts.push((i as u32, lookup));
    }
    parts.sort_by_key(|(offset, _)| *offset);
    Plan {
        area: Area::Head,
        len: alt.len() as u32,
        parts,
    }
}

/// The plan for matching `alt` in bodies, or `None` when it needs pinyin.
pub(crate) fn body_plan(alt: &[CellMatch]) -> Option<Plan> {
    let mut parts = Vec::with_capacity(alt.len());
    for (i, m) in alt.iter().enumerate() {
        let lookup = match m {
            CellMatch::Han(c) => Lookup::Term(format!("{BODY}{c}")),
            CellMatch::Word(w) => Lookup::Term(format!("{BODY}w:{w}")),
            CellMatch::WordPrefix(w) => Lookup::Prefix(format!("{BODY}w:{w}")),
            _ => return None,
        };
        parts.push((i as u32, lookup));
    }
    Some(Plan {
        area: Area::Body,
        len: alt.len() as u32,
        parts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use CellMatch::*;

    fn t(s: &str) -> Lookup {
        Lookup::Term(s.into())
    }

    #[test]
    fn initials_are_looked_up_as_pairs() {
        let plan = head_plan(&[Initial("h".into()), Initial("y".into())]);
        assert_eq!(plan.parts, vec![(0, t("j:h.y"))]);
        let plan = head_plan(&[
            Initial("j".into()),
            Initial("t".into()),
            Initial("s".into()),
            Initial("g".into()),
        ]);
        assert_eq!(plan.parts, vec![(0, t("j:j.t")), (2, t("j:s.g"))]);
        let plan = head_plan(&[
            Initial("t".into()),
            Initial("g".into()),
            Initial("z".into()),
        ]);
        assert_eq!(plan.parts, vec![(0, t("j:t.g")), (1, t("j:g.z"))]);
    }

    #[test]
    fn an_initial_pairs_with_a_syllable_neighbour() {
        let plan = head_plan(&[Initial("h".into()), SyllablePrefix("yin".into())]);
        assert_eq!(
            plan.parts,
            vec![(0, t("j:h.y")), (1, Lookup::Prefix("f:yin".into()))]
        );
        let plan = head_plan(&[Syllable("zhong".into()), Initial("g".into())]);
        assert_eq!(plan.parts, vec![(0, t("j:zh.g")), (0, t("f:zhong"))]);
    }

    #[test]
    fn a_lone_initial_uses_its_own_list() {
        assert_eq!(head_plan(&[Initial("l".into())]).parts, vec![(0, t("i:l"))]);
        let plan = head_plan(&[Han('离'), Initial("h".into())]);
        assert_eq!(plan.parts, vec![(0, t("离")), (1, t("i:h"))]);
    }

    #[test]
    fn pinyin_has_no_body_plan() {
        assert!(body_plan(&[Syllable("hun".into())]).is_none());
        assert_eq!(body_plan(&[Han('婚')]).unwrap().parts, vec![(0, t("~婚"))]);
    }
}
