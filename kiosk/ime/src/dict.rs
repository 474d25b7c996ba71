//! The pinyin dictionary: every word the engine can offer, its syllables and
//! a ranking cost.
//!
//! The terminal has no files to read at run time, so the data is compiled
//! into the binary: a gzip'd TSV general dictionary derived from packaged,
//! licence-checked sources (`assets/ime/pinyin.tsv.gz`, see
//! `assets/ime/README.md` and `kiosk/ime/tools/build_dict.sh`) plus a small
//! hand-kept list of legal terms (`assets/ime/legal_terms.txt`) that are
//! boosted so residents find 离婚, 欠薪, 宅基地 … first.
//!
//! Layout: entries are sorted by their syllable-id sequence (ids follow the
//! alphabetical order of the syllables), then by cost. All words sharing a
//! syllable prefix are therefore one contiguous range, and narrowing the
//! range one syllable at a time is a pair of binary searches. That lets the
//! converter walk the input lattice against the dictionary without building
//! a trie, and keeps the whole thing in three flat vectors (about 9 MiB for
//! the embedded data) that are built once and shared read-only through an
//! `Arc` between the engine and anything else that wants it.

use std::io::Read;
use std::ops::Range;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// Gzip'd `word<TAB>syl'syl<TAB>frequency` lines, produced by
/// `kiosk/ime/tools/build_dict.sh`.
static GENERAL_GZ: &[u8] = include_bytes!("../../../assets/ime/pinyin.tsv.gz");
/// Hand-kept legal vocabulary, `word<TAB>syl'syl` lines.
static LEGAL_TERMS: &str = include_str!("../../../assets/ime/legal_terms.txt");

/// Natural-log factor by which a legal term outranks its own general weight
/// (ln 20): enough for 婚姻 to lead the abbreviation `hy` over 还有.
const TERM_BOOST: f32 = 2.995_732_3;
/// How far below the best same-pinyin word a legal term is placed (ln 2).
const TERM_LEAD: f32 = std::f32::consts::LN_2;
/// Frequency assumed for a legal term the general dictionary lacks; about a
/// moderately common word on the Android dictionary's scale.
const TERM_DEFAULT_FREQ: f64 = 500.0;

/// Spellings people type that the inventory writes differently (ü after l/n).
const SPELLING_ALIASES: &[(&str, &str)] = &[("lve", "lue"), ("nve", "nue")];

/// A syllable id: the index of the syllable in the alphabetical inventory.
pub(crate) type SyllableId = u16;

/// Why the dictionary data could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DictError {
    /// The gzip stream is damaged or not UTF-8.
    #[error("cannot decompress the dictionary: {0}")]
    Decompress(#[from] std::io::Error),
    /// The data has no `#syllables` header line.
    #[error("the dictionary has no #syllables header")]
    MissingInventory,
    /// The syllable inventory is empty or too large for 16-bit ids.
    #[error("the syllable inventory has {0} entries")]
    BadInventory(usize),
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    text_start: u32,
    syl_start: u32,
    /// `-ln(p)` of the word: lower ranks first.
    cost: f32,
    text_len: u8,
    syl_len: u8,
}

/// The read-only word list behind pinyin conversion. Build it once (it takes
/// about 70 ms in a release build) and share it: [`Dictionary::embedded`] does both.
pub struct Dictionary {
    /// Sorted, unique syllable spellings; a syllable's id is its index.
    syllables: Vec<Box<str>>,
    entries: Vec<Entry>,
    syls: Vec<SyllableId>,
    text: String,
}

impl std::fmt::Debug for Dictionary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dictionary")
            .field("syllables", &self.syllables.len())
            .field("entries", &self.entries.len())
            .finish()
    }
}

static EMBEDDED: OnceLock<Arc<Dictionary>> = OnceLock::new();

impl Dictionary {
    /// The dictionary compiled into the binary, built on first use and
    /// shared afterwards. Call it once from a background thread at start-up
    /// (`std::thread::spawn(Dictionary::embedded)`) so the first key tap does
    /// not wait for it.
    ///
    /// The embedded data is checked by the crate's tests; should it still
    /// fail to load, the error is logged and an empty dictionary returned so
    /// Latin and digit entry keep working.
    pub fn embedded() -> Arc<Dictionary> {
        EMBEDDED
            .get_or_init(|| match Self::load_embedded() {
                Ok(dict) => Arc::new(dict),
                Err(err) => {
                    log::error!(
                        "embedded pinyin dictionary unusable, pinyin input disabled: {err}"
                    );
                    Arc::new(Self::empty())
                }
            })
            .clone()
    }

    /// Builds a fresh copy of the embedded dictionary, reporting errors
    /// instead of hiding them. Prefer [`Dictionary::embedded`], which builds
    /// it only once.
    pub fn load_embedded() -> Result<Dictionary, DictError> {
        let started = Instant::now();
        let mut text = String::with_capacity(8 << 20);
        flate2::read::GzDecoder::new(GENERAL_GZ).read_to_string(&mut text)?;
        let dict = Self::from_sources(&text, LEGAL_TERMS)?;
        log::info!(
            "pinyin dictionary ready: {} entries, {} syllables, {:?}",
            dict.entries.len(),
            dict.syllables.len(),
            started.elapsed()
        );
        Ok(dict)
    }

    /// A dictionary with no words: pinyin input then shows no candidates.
    pub fn empty() -> Dictionary {
        Dictionary {
            syllables: Vec::new(),
            entries: Vec::new(),
            syls: Vec::new(),
            text: String::new(),
        }
    }

    /// Builds a dictionary from a general word list in the embedded TSV
    /// format (a `#syllables a ai an …` header, then `word<TAB>syl'syl<TAB>freq`
    /// lines) and a list of boosted terms (`word<TAB>syl'syl` lines).
    /// Malformed lines are skipped and counted in the log.
    pub fn from_sources(general: &str, terms: &str) -> Result<Dictionary, DictError> {
        let inventory_line = general
            .lines()
            .find_map(|l| l.strip_prefix("#syllables "))
            .ok_or(DictError::MissingInventory)?;
        let mut syllables: Vec<Box<str>> = inventory_line
            .split_ascii_whitespace()
            .filter(|s| pack(s).is_some())
            .map(Box::from)
            .collect();
        syllables.sort();
        syllables.dedup();
        if syllables.is_empty() || syllables.len() > usize::from(SyllableId::MAX) {
            return Err(DictError::BadInventory(syllables.len()));
        }
        let ids = SyllableIndex::new(&syllables);

        let mut dict = Dictionary {
            syllables: Vec::new(),
            entries: Vec::with_capacity(general.len() / 24),
            syls: Vec::with_capacity(general.len() / 8),
            text: String::with_capacity(general.len() / 2),
        };
        let mut freqs: Vec<f64> = Vec::with_capacity(general.len() / 24);
        let mut skipped = 0usize;
        let mut syl_buf = Vec::new();
        // Hand-rolled splitting: `str::lines`/`split` searchers cost more
        // than the work itself on ~320k short lines (a third of load time).
        for line in ByteLines(general) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((word, pinyin, freq)) = split_fields(line) else {
                skipped += 1;
                continue;
            };
            let freq = match freq.parse::<u32>() {
                Ok(f) => f64::from(f),
                Err(_) => freq.trim().parse::<f64>().unwrap_or(0.0),
            };
            if !(freq.is_finite() && freq > 0.0) {
                skipped += 1;
                continue;
            }
            if !parse_pinyin(pinyin, &ids, &mut syl_buf) || !dict.push(word, &syl_buf, 0.0) {
                skipped += 1;
                continue;
            }
            freqs.push(freq);
        }
        let total: f64 = freqs.iter().sum::<f64>().max(1.0);
        let ln_total = total.ln();
        for (entry, freq) in dict.entries.iter_mut().zip(&freqs) {
            entry.cost = (ln_total - freq.ln()) as f32;
        }
        dict.syllables = syllables.clone();
        dict.sort();

        let added = dict.add_terms(terms, &ids, (ln_total - TERM_DEFAULT_FREQ.ln()) as f32);
        dict.entries.shrink_to_fit();
        dict.syls.shrink_to_fit();
        dict.text.shrink_to_fit();
        if skipped > 0 || added.skipped > 0 {
            log::warn!(
                "pinyin dictionary: skipped {skipped} malformed general lines and {} terms",
                added.skipped
            );
        }
        Ok(dict)
    }

    /// Number of (word, reading) entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the dictionary has no words.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Appends one entry; false (nothing added) if it does not fit the
    /// compact layout.
    fn push(&mut self, word: &str, syls: &[SyllableId], cost: f32) -> bool {
        let (Ok(text_len), Ok(syl_len)) = (u8::try_from(word.len()), u8::try_from(syls.len()))
        else {
            return false;
        };
        let (Ok(text_start), Ok(syl_start)) = (
            u32::try_from(self.text.len()),
            u32::try_from(self.syls.len()),
        ) else {
            return false;
        };
        if word.is_empty() || syls.is_empty() {
            return false;
        }
        self.text.push_str(word);
        self.syls.extend_from_slice(syls);
        self.entries.push(Entry {
            text_start,
            syl_start,
            cost,
            text_len,
            syl_len,
        });
        true
    }

    fn sort(&mut self) {
        let (syls, text) = (&self.syls, &self.text);
        let order = |a: &Entry, b: &Entry| {
            syl_slice(syls, a)
                .cmp(syl_slice(syls, b))
                .then(a.cost.total_cmp(&b.cost))
                .then_with(|| text_slice(text, a).cmp(text_slice(text, b)))
        };
        // The generated file is already in this order; only the added legal
        // terms move.
        if !self.entries.is_sorted_by(|a, b| order(a, b).is_le()) {
            self.entries.sort_by(order);
        }
    }

    fn add_terms(&mut self, terms: &str, ids: &SyllableIndex, default_cost: f32) -> TermStats {
        let mut stats = TermStats::default();
        let mut syl_buf = Vec::new();
        // Lookups must stay within the sorted part; added terms go after it
        // until the final sort.
        let sorted = 0..self.entries.len();
        for line in terms.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.split_whitespace();
            let (Some(word), Some(pinyin)) = (fields.next(), fields.next()) else {
                stats.skipped += 1;
                continue;
            };
            if !parse_pinyin(pinyin, ids, &mut syl_buf) {
                stats.skipped += 1;
                continue;
            }
            let group = self.exact_range_in(sorted.clone(), &syl_buf);
            let best = group.clone().next().map(|i| self.entries[i].cost);
            let own = group.clone().find(|&i| self.entry_text(i) == word);
            let own_cost = own.map_or(default_cost, |i| self.entries[i].cost);
            let mut cost = own_cost - TERM_BOOST;
            if let Some(best) = best {
                cost = cost.min(best - TERM_LEAD);
            }
            let added = (sorted.end..self.entries.len()).find(|&i| {
                self.entry_text(i) == word && self.entry_syllables(i) == syl_buf.as_slice()
            });
            match own.or(added) {
                Some(i) => self.entries[i].cost = self.entries[i].cost.min(cost),
                None => {
                    if !self.push(word, &syl_buf, cost) {
                        stats.skipped += 1;
                    }
                }
            }
        }
        self.sort();
        stats
    }

    /// Indices of the entries whose syllables are exactly `syls`.
    fn exact_range(&self, syls: &[SyllableId]) -> Range<usize> {
        self.exact_range_in(0..self.entries.len(), syls)
    }

    /// Like [`Dictionary::exact_range`], searching a sorted sub-range.
    fn exact_range_in(&self, mut range: Range<usize>, syls: &[SyllableId]) -> Range<usize> {
        for (depth, &s) in syls.iter().enumerate() {
            range = self.narrow(range, depth, s..s + 1);
        }
        let end = self.words_end(range.clone(), syls.len());
        range.start..end
    }

    // ----- lookup primitives for the converter -----

    /// The syllable spelled `spelling`, and the ids of all syllables that
    /// start with it (contiguous, as ids are alphabetical). `None` if no
    /// syllable starts with `spelling`.
    pub(crate) fn syllable_prefix(&self, spelling: &str) -> Option<PrefixMatch> {
        let spelling = SPELLING_ALIASES
            .iter()
            .find(|(typed, _)| *typed == spelling)
            .map_or(spelling, |(_, canonical)| canonical);
        let lo = self.syllables.partition_point(|s| &**s < spelling);
        let hi = lo + self.syllables[lo..].partition_point(|s| s.starts_with(spelling));
        if lo == hi {
            return None;
        }
        let exact = (&*self.syllables[lo] == spelling).then_some(lo as SyllableId);
        Some(PrefixMatch {
            ids: lo as SyllableId..hi as SyllableId,
            exact,
        })
    }

    /// All entries.
    pub(crate) fn all(&self) -> Range<usize> {
        0..self.entries.len()
    }

    /// Within `range`, whose entries all share their first `depth`
    /// syllables, the sub-range whose syllable at `depth` lies in `ids`.
    /// Entries with exactly `depth` syllables sort first and are excluded.
    pub(crate) fn narrow(
        &self,
        range: Range<usize>,
        depth: usize,
        ids: Range<SyllableId>,
    ) -> Range<usize> {
        let Some(slice) = self.entries.get(range.clone()) else {
            return 0..0;
        };
        let at = |e: &Entry| self.syl_at(e, depth);
        let lo = slice.partition_point(|e| at(e).is_none_or(|s| s < ids.start));
        let hi = slice.partition_point(|e| at(e).is_none_or(|s| s < ids.end));
        range.start + lo..range.start + hi
    }

    /// The syllable at `depth` of entry `index`.
    pub(crate) fn syllable_of(&self, index: usize, depth: usize) -> Option<SyllableId> {
        self.entries.get(index).and_then(|e| self.syl_at(e, depth))
    }

    /// In `range` (entries sharing their first `len` syllables), the end of
    /// the leading run of entries with exactly `len` syllables.
    pub(crate) fn words_end(&self, range: Range<usize>, len: usize) -> usize {
        let Some(slice) = self.entries.get(range.clone()) else {
            return range.start;
        };
        range.start + slice.partition_point(|e| usize::from(e.syl_len) == len)
    }

    pub(crate) fn entry_cost(&self, index: usize) -> f32 {
        self.entries.get(index).map_or(f32::INFINITY, |e| e.cost)
    }

    pub(crate) fn entry_text(&self, index: usize) -> &str {
        self.entries
            .get(index)
            .map_or("", |e| text_slice(&self.text, e))
    }

    pub(crate) fn entry_syllables(&self, index: usize) -> &[SyllableId] {
        self.entries
            .get(index)
            .map_or(&[], |e| syl_slice(&self.syls, e))
    }

    fn syl_at(&self, e: &Entry, depth: usize) -> Option<SyllableId> {
        if depth < usize::from(e.syl_len) {
            self.syls.get(e.syl_start as usize + depth).copied()
        } else {
            None
        }
    }

    /// The words whose reading is exactly `pinyin`, syllables separated by
    /// `'` (`hun'yin`), best first. For diagnostics and tests.
    pub fn words_for(&self, pinyin: &str) -> Vec<&str> {
        let ids = SyllableIndex::new(&self.syllables);
        let mut syls = Vec::new();
        if !parse_pinyin(pinyin, &ids, &mut syls) {
            return Vec::new();
        }
        self.exact_range(&syls)
            .map(|i| self.entry_text(i))
            .collect()
    }
}

#[derive(Default)]
struct TermStats {
    skipped: usize,
}

/// Result of [`Dictionary::syllable_prefix`].
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PrefixMatch {
    pub ids: Range<SyllableId>,
    pub exact: Option<SyllableId>,
}

fn parse_pinyin(pinyin: &str, ids: &SyllableIndex, out: &mut Vec<SyllableId>) -> bool {
    out.clear();
    let mut rest = pinyin;
    loop {
        let cut = rest.bytes().position(|b| b == b'\'').unwrap_or(rest.len());
        // `'` is ASCII, so the cuts fall on character boundaries.
        let syl = rest.get(..cut).unwrap_or("");
        let id = ids.get(syl).or_else(|| {
            let (_, canonical) = SPELLING_ALIASES.iter().find(|(typed, _)| *typed == syl)?;
            ids.get(canonical)
        });
        match id {
            Some(id) => out.push(id),
            None => return false,
        }
        match rest.get(cut + 1..) {
            Some(next) => rest = next,
            None => return true,
        }
    }
}

/// Lines of `text` without their `\n` / `\r\n`.
struct ByteLines<'a>(&'a str);

impl<'a> Iterator for ByteLines<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.0.is_empty() {
            return None;
        }
        let bytes = self.0.as_bytes();
        let end = bytes
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or(bytes.len());
        // `\n` is ASCII, so both cuts fall on character boundaries.
        let line = self.0.get(..end).unwrap_or("");
        self.0 = self.0.get(end + 1..).unwrap_or("");
        Some(line.strip_suffix('\r').unwrap_or(line))
    }
}

/// The first three tab-separated fields of a line.
fn split_fields(line: &str) -> Option<(&str, &str, &str)> {
    let bytes = line.as_bytes();
    let first = bytes.iter().position(|&b| b == b'\t')?;
    let second = first + 1 + bytes.get(first + 1..)?.iter().position(|&b| b == b'\t')?;
    let third = bytes
        .get(second + 1..)?
        .iter()
        .position(|&b| b == b'\t')
        .map_or(bytes.len(), |i| second + 1 + i);
    Some((
        line.get(..first)?,
        line.get(first + 1..second)?,
        line.get(second + 1..third)?,
    ))
}

/// Syllable spelling to id, for loading. Spellings are packed into an
/// integer (5 bits a letter, zero-padded, so integer order is alphabetical
/// order) and binary-searched: about three times faster than hashing the
/// ~900k syllables of the embedded data.
struct SyllableIndex {
    keys: Vec<u32>,
}

impl SyllableIndex {
    fn new(sorted: &[Box<str>]) -> SyllableIndex {
        SyllableIndex {
            keys: sorted.iter().map(|s| pack(s).unwrap_or(u32::MAX)).collect(),
        }
    }

    fn get(&self, spelling: &str) -> Option<SyllableId> {
        let key = pack(spelling)?;
        let index = self.keys.binary_search(&key).ok()?;
        SyllableId::try_from(index).ok()
    }
}

fn pack(spelling: &str) -> Option<u32> {
    if spelling.is_empty() || spelling.len() > 6 {
        return None;
    }
    let mut key = 0u32;
    for (i, b) in spelling.bytes().enumerate() {
        if !b.is_ascii_lowercase() {
            return None;
        }
        key |= u32::from(b - b'a' + 1) << (5 * (5 - i));
    }
    Some(key)
}

fn syl_slice<'a>(syls: &'a [SyllableId], e: &Entry) -> &'a [SyllableId] {
    let start = e.syl_start as usize;
    syls.get(start..start + usize::from(e.syl_len))
        .unwrap_or(&[])
}

fn text_slice<'a>(text: &'a str, e: &Entry) -> &'a str {
    let start = e.text_start as usize;
    text.get(start..start + usize::from(e.text_len))
        .unwrap_or("")
}
