//! Turning the composing letters into ranked candidates.
//!
//! Residents type continuous pinyin without separators (`lihunxieyi`),
//! often only initials (`hy` for 婚姻) and often an unfinished last syllable
//! (`huny`). No single segmentation is right for all of that, so the input
//! becomes a *lattice*: an edge for every way a run of letters can stand for
//! one syllable (a full syllable, an initial used as an abbreviation, or a
//! not yet finished syllable at the end). Each edge names a contiguous range
//! of syllable ids, which is exactly what the dictionary's sorted layout can
//! narrow by, so words are found by walking lattice and dictionary together:
//! a path that no word continues is dropped at once.
//!
//! Segmentations far worse than the best one (an abbreviation where a full
//! syllable fits, `hu'n` for `hun`) are pruned before the walk, so `hun`
//! offers 婚 and 混 rather than 湖南. Segmentations that are close (`xian`
//! versus `xi'an`, `fang'an` versus `fan'gan`) are all kept and ranked by
//! word frequency, with a penalty for the less likely split.
//!
//! Ranking: candidates covering more of the input come first (the whole
//! input, then shorter prefixes, down to single characters, so a partial
//! pick leaves the rest composing); within a group, lower cost first. Cost
//! is the word's `-ln p` plus penalties for completing an unfinished
//! syllable and for using a worse segmentation. For the whole input the
//! engine also composes a *sentence*: the cheapest chain of dictionary
//! words covering everything (Viterbi over a unigram model), so
//! `lihunxieyi` gives 离婚协议 even though no single entry spells it.

use std::collections::HashSet;
use std::ops::Range;

use crate::dict::{Dictionary, SyllableId};

/// The longest syllable spelling (`zhuang`).
const MAX_SYLLABLE_LEN: usize = 6;
/// Initials that may stand for a whole syllable in the middle of the input.
const INITIALS: &[&str] = &[
    "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x", "zh", "ch", "sh", "r",
    "z", "c", "s", "y", "w",
];

// Segmentation costs: one per syllable, so fewer and longer syllables win;
// abbreviations cost so much that they only survive where nothing else
// parses; an unfinished last syllable costs a little.
const TOKEN_COST: f32 = 1.0;
const ABBREVIATION_COST: f32 = 10.0;
const INCOMPLETE_COST: f32 = 0.5;
/// Segmentations costing more than the best by this much are dropped.
const PRUNE_MARGIN: f32 = 1.0 + 1e-3;

// Ranking penalties, in the same unit as word costs (nats).
/// Per unit of segmentation cost above the best segmentation.
const SEGMENTATION_PENALTY: f32 = 3.0;
/// For reading an unfinished last syllable as a longer one (`zho` as
/// `zhong`, `y` as `yin`).
const COMPLETION_PENALTY: f32 = 3.0;
/// For reading a complete last syllable as a longer one (`xia` as `xiao`):
/// possible (the user may not have typed the last letter yet) but far
/// behind the syllable as typed.
const EXACT_COMPLETION_PENALTY: f32 = 8.0;
/// Per word in a composed sentence, favouring longer dictionary words.
const WORD_PENALTY: f32 = 1.0;
/// Guard on recursion depth (no entry has more syllables).
const MAX_WORD_SYLLABLES: usize = 64;

/// One way a run of input letters can stand for a syllable.
#[derive(Clone, Debug)]
struct Edge {
    start: usize,
    end: usize,
    /// Syllables this spelling may mean.
    ids: Range<SyllableId>,
    /// The syllable spelled exactly, which takes no completion penalty.
    exact: Option<SyllableId>,
    cost: f32,
}

/// Where a candidate's text comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Source {
    /// A dictionary entry, by index.
    Word(usize),
    /// The composed sentence ([`Conversion::sentence`]).
    Sentence,
}

/// A ranked candidate, before its text is materialised.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Hit {
    /// Input letters the candidate stands for, from the start.
    pub consumed: usize,
    pub score: f32,
    pub source: Source,
}

/// Everything the engine shows for one composition.
#[derive(Debug, Default)]
pub(crate) struct Conversion {
    /// Best first.
    pub hits: Vec<Hit>,
    /// Text of the [`Source::Sentence`] hit, if there is one.
    pub sentence: String,
    /// The input with `'` between syllables, following the top candidate.
    pub display: String,
}

impl Conversion {
    pub fn text<'a>(&'a self, dict: &'a Dictionary, hit: &Hit) -> &'a str {
        match hit.source {
            Source::Word(index) => dict.entry_text(index),
            Source::Sentence => &self.sentence,
        }
    }
}

/// Converts lowercase ASCII letters into ranked candidates. Anything else
/// gives no candidates.
pub(crate) fn convert(dict: &Dictionary, input: &str) -> Conversion {
    let mut out = Conversion {
        display: input.to_owned(),
        ..Conversion::default()
    };
    if input.is_empty() || !input.bytes().all(|b| b.is_ascii_lowercase()) || dict.is_empty() {
        return out;
    }
    let Some(lattice) = Lattice::build(dict, input) else {
        return out;
    };
    let search = Search {
        dict,
        lattice: &lattice,
    };
    let m = lattice.end;

    // All words from 0 become hits; the cheapest word of every span feeds
    // the sentence.
    let mut spans = SpanTable::new(m + 1);
    let mut hits = Vec::new();
    search.walk(0, 0, dict.all(), 0.0, 0.0, &mut |end, words, acc, pen| {
        for index in words.clone() {
            let score = dict.entry_cost(index)
                + pen
                + SEGMENTATION_PENALTY * (acc + lattice.bwd[end] - lattice.best);
            hits.push(Hit {
                consumed: end,
                score,
                source: Source::Word(index),
            });
        }
        spans.note(
            0,
            end,
            words.start,
            span_weight(dict, words.start, acc, pen),
        );
    });
    for start in 1..m {
        if lattice.best >= ABBREVIATION_COST || lattice.starts[start].is_empty() {
            continue;
        }
        search.walk(
            start,
            0,
            dict.all(),
            0.0,
            0.0,
            &mut |end, words, acc, pen| {
                spans.note(
                    start,
                    end,
                    words.start,
                    span_weight(dict, words.start, acc, pen),
                );
            },
        );
    }

    // Chains of words guessed from initials alone are mostly noise
    // (zh'r'm'g'h'g -> 中人民共和国), so sentences need full syllables.
    let sentence = if lattice.best < ABBREVIATION_COST {
        spans.sentence(m)
    } else {
        None
    };
    let mut sentence_syllables = Vec::new();
    if let Some((score, words)) = &sentence {
        for &index in words {
            out.sentence.push_str(dict.entry_text(index));
            sentence_syllables.extend_from_slice(dict.entry_syllables(index));
        }
        hits.push(Hit {
            consumed: m,
            score: score - SEGMENTATION_PENALTY * lattice.best,
            source: Source::Sentence,
        });
    }

    hits.sort_by(|a, b| {
        b.consumed
            .cmp(&a.consumed)
            .then(a.score.total_cmp(&b.score))
    });
    let mut seen: HashSet<(usize, &str)> = HashSet::with_capacity(hits.len());
    let sentence_text = out.sentence.clone();
    hits.retain(|hit| {
        let text = match hit.source {
            Source::Word(index) => dict.entry_text(index),
            Source::Sentence => &sentence_text,
        };
        seen.insert((hit.consumed, text))
    });
    out.hits = hits;

    // Show the syllables the way the top candidate reads them.
    let top_syllables = match out.hits.first() {
        Some(hit) if hit.consumed == m => match hit.source {
            Source::Word(index) => dict.entry_syllables(index),
            Source::Sentence => &sentence_syllables[..],
        },
        _ => &[],
    };
    let splits = lattice
        .path_for(top_syllables)
        .unwrap_or_else(|| lattice.best_path());
    out.display = display(input, &splits, m);
    out
}

/// A word's weight as one link of a sentence.
fn span_weight(dict: &Dictionary, index: usize, acc: f32, pen: f32) -> f32 {
    dict.entry_cost(index) + pen + SEGMENTATION_PENALTY * acc + WORD_PENALTY
}

/// The cheapest word for every span `start..end` of the input.
struct SpanTable {
    width: usize,
    best: Vec<Option<(f32, usize)>>,
}

impl SpanTable {
    fn new(width: usize) -> SpanTable {
        SpanTable {
            width,
            best: vec![None; width * width],
        }
    }

    fn note(&mut self, start: usize, end: usize, index: usize, weight: f32) {
        if let Some(slot) = self.best.get_mut(start * self.width + end)
            && slot.is_none_or(|(w, _)| weight < w)
        {
            *slot = Some((weight, index));
        }
    }

    fn get(&self, start: usize, end: usize) -> Option<(f32, usize)> {
        self.best.get(start * self.width + end).copied().flatten()
    }

    /// Cheapest chain of at least two words covering `0..end`, with its
    /// score (less one word penalty, so a single word and a chain compare
    /// fairly).
    fn sentence(&self, end: usize) -> Option<(f32, Vec<usize>)> {
        let mut dp: Vec<Option<(f32, usize, usize)>> = vec![None; end + 1];
        dp[0] = Some((0.0, 0, usize::MAX));
        for j in 1..=end {
            for i in 0..j {
                let (Some((base, _, _)), Some((w, word))) = (dp[i], self.get(i, j)) else {
                    continue;
                };
                let total = base + w;
                if dp[j].is_none_or(|(t, _, _)| total < t) {
                    dp[j] = Some((total, i, word));
                }
            }
        }
        let (total, _, _) = dp[end]?;
        let mut words = Vec::new();
        let mut at = end;
        while at > 0 {
            let (_, from, word) = dp[at]?;
            words.push(word);
            at = from;
        }
        words.reverse();
        (words.len() >= 2).then_some((total - WORD_PENALTY, words))
    }
}

fn display(input: &str, splits: &[usize], parsed_end: usize) -> String {
    let mut shown = String::with_capacity(input.len() + splits.len() + 1);
    let mut from = 0;
    for &to in splits {
        if let Some(part) = input.get(from..to) {
            if !shown.is_empty() {
                shown.push('\'');
            }
            shown.push_str(part);
            from = to;
        }
    }
    if from < parsed_end {
        // No path recorded (should not happen): show the parsed part whole.
        if !shown.is_empty() {
            shown.push('\'');
        }
        shown.push_str(input.get(from..parsed_end).unwrap_or(""));
    }
    if let Some(rest) = input.get(parsed_end..).filter(|r| !r.is_empty()) {
        if !shown.is_empty() {
            shown.push('\'');
        }
        shown.push_str(rest);
    }
    shown
}

/// The pruned syllable lattice of one input.
struct Lattice {
    edges: Vec<Edge>,
    /// Edge index range by start position.
    starts: Vec<Range<usize>>,
    /// The furthest position any segmentation reaches: letters after it
    /// (say a trailing `i`) cannot start a syllable and are left as typed.
    end: usize,
    /// Cheapest segmentation cost from each position to `end`.
    bwd: Vec<f32>,
    /// Cheapest segmentation cost of `0..end`.
    best: f32,
    /// Edge that reaches each position most cheaply from 0.
    back: Vec<Option<usize>>,
}

impl Lattice {
    fn build(dict: &Dictionary, input: &str) -> Option<Lattice> {
        let n = input.len();
        let mut edges = Vec::new();
        for start in 0..n {
            for len in 1..=MAX_SYLLABLE_LEN.min(n - start) {
                let end = start + len;
                let Some(spelling) = input.get(start..end) else {
                    break;
                };
                let Some(found) = dict.syllable_prefix(spelling) else {
                    // No syllable starts with these letters, nor with more.
                    break;
                };
                let at_end = end == n;
                let edge = match (found.exact, at_end) {
                    (Some(id), true) => Edge {
                        start,
                        end,
                        ids: found.ids,
                        exact: Some(id),
                        cost: TOKEN_COST,
                    },
                    (Some(id), false) => Edge {
                        start,
                        end,
                        ids: id..id + 1,
                        exact: Some(id),
                        cost: TOKEN_COST,
                    },
                    (None, true) => Edge {
                        start,
                        end,
                        ids: found.ids,
                        exact: None,
                        cost: TOKEN_COST + INCOMPLETE_COST,
                    },
                    (None, false) if INITIALS.contains(&spelling) => Edge {
                        start,
                        end,
                        ids: found.ids,
                        exact: None,
                        cost: TOKEN_COST + ABBREVIATION_COST,
                    },
                    (None, false) => continue,
                };
                edges.push(edge);
            }
        }

        let mut fwd = vec![f32::INFINITY; n + 1];
        fwd[0] = 0.0;
        for e in &edges {
            let via = fwd[e.start] + e.cost;
            if via < fwd[e.end] {
                fwd[e.end] = via;
            }
        }
        let end = (1..=n).rev().find(|&j| fwd[j].is_finite())?;
        let mut bwd = vec![f32::INFINITY; n + 1];
        bwd[end] = 0.0;
        for e in edges.iter().rev() {
            if e.end <= end {
                let via = e.cost + bwd[e.end];
                if via < bwd[e.start] {
                    bwd[e.start] = via;
                }
            }
        }
        let best = fwd[end];
        edges.retain(|e| e.end <= end && fwd[e.start] + e.cost + bwd[e.end] <= best + PRUNE_MARGIN);
        let mut starts = vec![0..0; n + 1];
        let mut i = 0;
        while i < edges.len() {
            let start = edges[i].start;
            let j = i + edges[i..].iter().take_while(|e| e.start == start).count();
            starts[start] = i..j;
            i = j;
        }
        let mut lattice = Lattice {
            edges,
            starts,
            end,
            bwd,
            best,
            back: Vec::new(),
        };
        lattice.back = lattice.best_back(n + 1);
        Some(lattice)
    }

    /// Back-pointers of the cheapest path over the kept edges.
    fn best_back(&self, positions: usize) -> Vec<Option<usize>> {
        let mut back = vec![None; positions];
        let mut cost = vec![f32::INFINITY; positions];
        cost[0] = 0.0;
        for (i, e) in self.edges.iter().enumerate() {
            let via = cost[e.start] + e.cost;
            if via < cost[e.end] {
                cost[e.end] = via;
                back[e.end] = Some(i);
            }
        }
        back
    }

    /// Split positions of the cheapest segmentation of `0..end`.
    fn best_path(&self) -> Vec<usize> {
        let mut splits = Vec::new();
        let mut at = self.end;
        while at > 0 {
            let Some(Some(i)) = self.back.get(at) else {
                return Vec::new();
            };
            splits.push(at);
            at = self.edges[*i].start;
        }
        splits.reverse();
        splits
    }

    /// Split positions of a segmentation of `0..end` that reads as `syls`.
    fn path_for(&self, syls: &[SyllableId]) -> Option<Vec<usize>> {
        if syls.is_empty() {
            return None;
        }
        let mut splits = Vec::with_capacity(syls.len());
        self.find_path(0, syls, &mut splits).then_some(splits)
    }

    fn find_path(&self, pos: usize, syls: &[SyllableId], splits: &mut Vec<usize>) -> bool {
        let Some((&first, rest)) = syls.split_first() else {
            return pos == self.end;
        };
        for e in &self.edges[self.starts.get(pos).cloned().unwrap_or(0..0)] {
            if e.ids.contains(&first) {
                splits.push(e.end);
                if self.find_path(e.end, rest, splits) {
                    return true;
                }
                splits.pop();
            }
        }
        false
    }
}

/// Walks lattice paths and dictionary ranges together.
struct Search<'a> {
    dict: &'a Dictionary,
    lattice: &'a Lattice,
}

type Visit<'v> = dyn FnMut(usize, Range<usize>, f32, f32) + 'v;

impl Search<'_> {
    /// From lattice position `pos`, with `range` holding the entries that
    /// match the `depth` syllables read so far, calls `visit(end, words,
    /// segmentation_cost, completion_penalty)` for every run of words that
    /// ends after one more syllable.
    fn walk(
        &self,
        pos: usize,
        depth: usize,
        range: Range<usize>,
        acc: f32,
        pen: f32,
        visit: &mut Visit<'_>,
    ) {
        if depth >= MAX_WORD_SYLLABLES {
            return;
        }
        let dict = self.dict;
        let edges = self.lattice.starts.get(pos).cloned().unwrap_or(0..0);
        for e in &self.lattice.edges[edges] {
            let matching = dict.narrow(range.clone(), depth, e.ids.clone());
            let mut cur = matching.start;
            while cur < matching.end {
                let Some(syl) = dict.syllable_of(cur, depth) else {
                    break;
                };
                let same = dict.narrow(cur..matching.end, depth, syl..syl.saturating_add(1));
                let next = same.end.max(cur + 1);
                let pen = pen
                    + match e.exact {
                        Some(exact) if exact == syl => 0.0,
                        Some(_) => EXACT_COMPLETION_PENALTY,
                        None => COMPLETION_PENALTY,
                    };
                let acc = acc + e.cost;
                let words_end = dict.words_end(cur..next, depth + 1);
                if words_end > cur {
                    visit(e.end, cur..words_end, acc, pen);
                }
                if words_end < next {
                    self.walk(e.end, depth + 1, words_end..next, acc, pen, visit);
                }
                cur = next;
            }
        }
    }
}
