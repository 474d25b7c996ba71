//! Every hit contains the whole query, as one run of consecutive cells in
//! the field it matched, and that run is what is highlighted: four typed
//! letters never find an article for one character that fits the first.
//!
//! What "a run spells the query" means is stated here a second time,
//! independently of the crate's matcher, and checked against the shipped
//! library both ways: every hit spells the query where it says it matched
//! (and highlights only such runs), and every article that spells it is a
//! hit, in the right field.

mod common;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use common::{Doc, Fixture, real_content_dir, statutes};
use kiosk_library::{Block, Hit, Library, MatchField, SearchIndex, Span};
use pinyin::ToPinyinMulti;
use proptest::prelude::*;
use rusqlite::Connection;

// ---------------------------------------------------------------------------
// The oracle: what the text must contain for a query to match.

/// One searchable cell of a text: a Han character (with its readings), or
/// a run of other letters and digits (lowercase, half-width).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cell {
    Han(char, Rc<[String]>),
    Word(String),
}

/// One unit of a query: a Han character, which must be itself, or a run of
/// letters/digits, which is a word (the last one may be unfinished) or, when
/// it is all letters, the pinyin of consecutive characters.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Han(char),
    Text(String),
}

fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

fn half_width_lower(c: char) -> char {
    let c = match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        0x3000 => ' ',
        _ => c,
    };
    c.to_ascii_lowercase()
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
        && !is_han(c)
        && !matches!(c as u32, 0x3000..=0x303F | 0xFF00..=0xFFEF | 0x2000..=0x206F)
}

/// The runs of consecutive cells of `text`: punctuation, spaces and line
/// breaks end a run.
fn runs(text: &str) -> Vec<Vec<Cell>> {
    let mut out: Vec<Vec<Cell>> = vec![Vec::new()];
    let mut word = String::new();
    for c in text.chars().map(half_width_lower) {
        if is_word_char(c) {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            out.last_mut()
                .unwrap()
                .push(Cell::Word(std::mem::take(&mut word)));
        }
        if is_han(c) {
            out.last_mut().unwrap().push(Cell::Han(c, readings(c)));
        } else if !out.last().unwrap().is_empty() {
            out.push(Vec::new());
        }
    }
    if !word.is_empty() {
        out.last_mut().unwrap().push(Cell::Word(word));
    }
    out.retain(|r| !r.is_empty());
    out
}

/// Letters, digits and characters a query may have and still match.
const MAX_QUERY_CHARS: usize = 40;

/// The query's units: punctuation is dropped, whitespace and the pinyin
/// syllable separator `'` only separate. A query too long to be matched
/// whole has none.
fn tokens(query: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut text = String::new();
    let kept = query
        .chars()
        .map(half_width_lower)
        .filter(|&c| is_word_char(c) || is_han(c))
        .count();
    if kept > MAX_QUERY_CHARS {
        return out;
    }
    for c in query.chars().map(half_width_lower) {
        if is_word_char(c) {
            text.push(c);
            continue;
        }
        if is_han(c) || c.is_whitespace() || c == '\'' {
            if !text.is_empty() {
                out.push(Tok::Text(std::mem::take(&mut text)));
            }
            if is_han(c) {
                out.push(Tok::Han(c));
            }
        }
    }
    if !text.is_empty() {
        out.push(Tok::Text(text));
    }
    out
}

thread_local! {
    static READINGS: RefCell<HashMap<char, Rc<[String]>>> = RefCell::new(HashMap::new());
}

/// Every reading of `c`, toneless; ü typed as v or u.
fn readings(c: char) -> Rc<[String]> {
    READINGS.with(|cache| {
        cache
            .borrow_mut()
            .entry(c)
            .or_insert_with(|| {
                let mut out = Vec::new();
                if let Some(multi) = c.to_pinyin_multi() {
                    for r in multi {
                        let plain = r.plain();
                        for s in [
                            plain.replace('ü', "v"),
                            plain.replace('ü', "u"),
                            plain.replace('ê', "e"),
                        ] {
                            if !s.is_empty()
                                && s.bytes().all(|b| b.is_ascii_lowercase())
                                && !out.contains(&s)
                            {
                                out.push(s);
                            }
                        }
                    }
                }
                out.into()
            })
            .clone()
    })
}

/// How much of the cells a match must use.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Extent {
    /// All of them.
    Whole,
    /// A leading run of them.
    Start,
}

/// Whether the cells (all, or a leading run) are exactly the query `toks`.
fn fits(cells: &[Cell], toks: &[Tok], pinyin: bool, extent: Extent) -> bool {
    match toks.split_first() {
        None => extent == Extent::Start || cells.is_empty(),
        Some((Tok::Han(c), rest)) => {
            matches!(cells.first(), Some(Cell::Han(x, _)) if x == c)
                && fits(&cells[1..], rest, pinyin, extent)
        }
        Some((Tok::Text(s), rest)) => {
            let last = rest.is_empty();
            let as_word = matches!(cells.first(), Some(Cell::Word(w))
                if w == s || (last && w.starts_with(s.as_str())))
                && fits(&cells[1..], rest, pinyin, extent);
            as_word
                || (pinyin
                    && s.bytes().all(|b| b.is_ascii_lowercase())
                    && spells(cells, s, rest, extent))
        }
    }
}

/// Whether the leading cells are Han characters whose readings, each typed
/// in full or as its initial (the very last one also as any beginning),
/// make up `letters`, and the cells after them fit `rest`.
fn spells(cells: &[Cell], letters: &str, rest: &[Tok], extent: Extent) -> bool {
    if letters.is_empty() {
        return fits(cells, rest, true, extent);
    }
    let Some((Cell::Han(_, readings), tail)) = cells.split_first() else {
        return false;
    };
    readings.iter().any(|r| {
        // Every piece begins like its reading and is no longer than it.
        r.as_bytes()[0] == letters.as_bytes()[0]
            && (1..=letters.len().min(r.len())).any(|k| {
                let (piece, remaining) = letters.split_at(k);
                let typed = piece == r
                    || piece == &r[..1]
                    || (matches!(piece, "zh" | "ch" | "sh") && r.starts_with(piece))
                    || (remaining.is_empty() && rest.is_empty() && r.starts_with(piece));
                typed && spells(tail, remaining, rest, extent)
            })
    })
}

/// Whether some run of consecutive cells of a text (given as its runs) is
/// the query.
fn contains(runs: &[Vec<Cell>], toks: &[Tok], pinyin: bool) -> bool {
    !toks.is_empty()
        && runs
            .iter()
            .any(|run| (0..run.len()).any(|i| fits(&run[i..], toks, pinyin, Extent::Start)))
}

/// Whether every cell of a highlighted piece of text lies in a run of it
/// that is the query (a highlight is one match, or overlapping matches
/// merged; never a part of one).
fn covered_by_matches(highlighted: &str, toks: &[Tok], pinyin: bool) -> bool {
    let runs = runs(highlighted);
    let [run] = runs.as_slice() else {
        return false;
    };
    let mut covered = vec![false; run.len()];
    for i in 0..run.len() {
        for j in i + 1..=run.len() {
            if fits(&run[i..j], toks, pinyin, Extent::Whole) {
                covered[i..j].iter_mut().for_each(|c| *c = true);
            }
        }
    }
    covered.iter().all(|&c| c)
}

fn highlights(spans: &[Span]) -> impl Iterator<Item = &str> {
    spans
        .iter()
        .filter(|s| s.highlight)
        .map(|s| s.text.as_str())
}

fn body_text(article: &kiosk_library::Article) -> String {
    article
        .body()
        .iter()
        .map(Block::text)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The library's fields, cut into runs once for all queries.
struct Oracle {
    articles: Vec<Fields>,
}

struct Fields {
    id: String,
    title: String,
    title_runs: Vec<Vec<Cell>>,
    keyword_runs: Vec<Vec<Cell>>,
    body_runs: Vec<Vec<Cell>>,
}

impl Oracle {
    fn new(library: &Library) -> Oracle {
        let articles = library
            .articles()
            .iter()
            .map(|a| Fields {
                id: a.id().to_string(),
                title: a.title().to_string(),
                title_runs: runs(a.title()),
                keyword_runs: a.keywords().iter().flat_map(|k| runs(k)).collect(),
                body_runs: runs(&body_text(a)),
            })
            .collect();
        Oracle { articles }
    }
}

/// Where the oracle says `toks` matches an article, best field first.
fn expected_field(a: &Fields, toks: &[Tok]) -> Option<MatchField> {
    if contains(&a.title_runs, toks, true) {
        Some(MatchField::Title)
    } else if contains(&a.keyword_runs, toks, true) {
        Some(MatchField::Keyword)
    } else if contains(&a.body_runs, toks, false) {
        Some(MatchField::Body)
    } else {
        None
    }
}

/// Checks one query's hits both ways; the problems found, as text.
fn check(oracle: &Oracle, conn: &Connection, query: &str) -> Vec<String> {
    let toks = tokens(query);
    let hits: Vec<Hit> = SearchIndex::search(conn, query, oracle.articles.len() + 1).unwrap();
    let mut problems = Vec::new();
    let top = SearchIndex::search(conn, query, 3).unwrap();
    if top[..] != hits[..hits.len().min(3)] {
        problems.push(format!(
            "{query:?}: the top 3 are not the first 3 of all hits"
        ));
    }
    if !hits.windows(2).all(|w| w[0].field <= w[1].field) {
        problems.push(format!("{query:?}: a worse field ranks first"));
    }
    let mut found: BTreeMap<&str, MatchField> = BTreeMap::new();
    for hit in &hits {
        found.insert(&hit.id, hit.field);
        let shown = render(&hit.title);
        for h in highlights(&hit.title) {
            if !covered_by_matches(h, &toks, true) {
                problems.push(format!("{query:?}: title {shown} highlights {h:?}"));
            }
        }
        for h in highlights(&hit.snippet) {
            if !covered_by_matches(h, &toks, false) {
                problems.push(format!(
                    "{query:?}: snippet of {shown} highlights {h:?} ({})",
                    render(&hit.snippet)
                ));
            }
        }
        if hit.field == MatchField::Title && highlights(&hit.title).next().is_none() {
            problems.push(format!("{query:?}: title hit {shown} has no highlight"));
        }
        if hit.field == MatchField::Body && highlights(&hit.snippet).next().is_none() {
            problems.push(format!("{query:?}: body hit {shown} has no highlight"));
        }
    }
    for article in &oracle.articles {
        let want = expected_field(article, &toks);
        let got = found.get(article.id.as_str()).copied();
        if want != got {
            problems.push(format!(
                "{query:?}: {} expected {want:?}, search says {got:?}",
                article.title
            ));
        }
    }
    problems
}

fn render(spans: &[Span]) -> String {
    Span::bracketed(spans)
}

// ---------------------------------------------------------------------------
// Queries.

/// A small deterministic generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// What residents type, drawn from the shipped titles and keywords: a run
/// of one to four characters as Chinese (also with spaces), initials, full
/// pinyin, the mixes of the two, an unfinished last syllable, and Chinese
/// followed by the pinyin of the next characters; plus the queries the UI
/// tests tripped on and strings of letters that spell nothing in particular.
fn queries(library: &Library) -> Vec<String> {
    let mut out: BTreeSet<String> = [
        "q",
        "qq",
        "qqq",
        "qqqq",
        "qqqqq",
        "hy",
        "fy",
        "flyz",
        "fl",
        "yz",
        "hunyin",
        "huny",
        "hyin",
        "lihunxieyi",
        "lhxy",
        "lihunx",
        "离婚",
        "离 婚",
        "离，婚",
        "离hun",
        "婚yin",
        "离h",
        "离婚x",
        "xieyi离婚",
        "xy离婚",
        "hun yin",
        "lihun",
        "falvyuanzhu",
        "jtsg",
        "zhsh",
        "shsh",
        "12348",
        "１２３４８",
        "1234",
        "app",
        "xyz",
        "kkkk",
        "iu",
        "ng",
        "xi'an",
        "xian",
        "fa'lv",
        "hun'yin",
        "li'hun",
        "'",
        "''q",
        "q q q q",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for c in 'a'..='z' {
        for n in 2..=5 {
            out.insert(c.to_string().repeat(n));
        }
    }
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for _ in 0..150 {
        let n = 2 + rng.below(5);
        let s: String = (0..n)
            .map(|_| (b'a' + rng.below(26) as u8) as char)
            .collect();
        out.insert(s);
    }
    let mut phrases: Vec<Vec<char>> = Vec::new();
    for a in library.articles() {
        for text in std::iter::once(a.title()).chain(a.keywords().iter().map(String::as_str)) {
            for run in runs(text) {
                let chars: Vec<char> = run
                    .iter()
                    .map_while(|c| match c {
                        Cell::Han(c, _) => Some(*c),
                        Cell::Word(_) => None,
                    })
                    .collect();
                for start in 0..chars.len() {
                    for len in 1..=6.min(chars.len() - start) {
                        phrases.push(chars[start..start + len].to_vec());
                    }
                }
            }
        }
    }
    // Chinese phrases from bodies, which only Chinese (and words) reach;
    // and ones too long to be searched.
    for a in library.articles().iter().step_by(3) {
        let body: Vec<char> = body_text(a).chars().collect();
        for _ in 0..3 {
            let start = rng.below(body.len());
            let len = 2 + rng.below(8);
            out.insert(body[start..(start + len).min(body.len())].iter().collect());
        }
        out.insert(body.iter().take(45).collect());
        out.insert(body.iter().filter(|c| is_han(**c)).take(41).collect());
    }
    for _ in 0..400 {
        let chars = &phrases[rng.below(phrases.len())];
        let rs: Vec<String> = chars
            .iter()
            .map(|&c| readings(c).first().cloned().unwrap_or_default())
            .collect();
        if rs.iter().any(String::is_empty) {
            continue;
        }
        let initial = |r: &String| r[..1].to_string();
        let n = rs.len();
        let han: String = chars.iter().collect();
        let variants = [
            han.clone(),
            chars
                .iter()
                .map(char::to_string)
                .collect::<Vec<_>>()
                .join(" "),
            rs.iter().map(initial).collect(),
            rs.concat(),
            rs.join("'"),
            rs.iter()
                .enumerate()
                .map(|(i, r)| if i == 0 { r.clone() } else { initial(r) })
                .collect(),
            rs.iter()
                .enumerate()
                .map(|(i, r)| if i + 1 == n { r.clone() } else { initial(r) })
                .collect(),
            rs.iter()
                .enumerate()
                .map(|(i, r)| {
                    if i + 1 == n {
                        r[..r.len().min(2)].to_string()
                    } else {
                        r.clone()
                    }
                })
                .collect(),
            std::iter::once(chars[0].to_string())
                .chain(rs[1..].iter().cloned())
                .collect(),
            std::iter::once(chars[0].to_string())
                .chain(rs[1..].iter().map(initial))
                .collect(),
        ];
        out.extend(variants);
    }
    out.into_iter().collect()
}

fn shipped() -> (Library, Connection) {
    let library = Library::load(real_content_dir(), statutes()).unwrap();
    let mut conn = kiosk_storage::open_in_memory().unwrap();
    SearchIndex::sync(&mut conn, &library).unwrap();
    (library, conn)
}

// ---------------------------------------------------------------------------
// Tests.

#[test]
fn every_hit_highlights_a_run_covering_the_whole_query() {
    let (library, conn) = shipped();
    let queries = queries(&library);
    assert!(queries.len() > 1000, "{} queries", queries.len());
    let mut problems = Vec::new();
    let oracle = Oracle::new(&library);
    for q in &queries {
        problems.extend(check(&oracle, &conn, q));
    }
    assert!(
        problems.is_empty(),
        "{} problems, first ones:\n{}",
        problems.len(),
        problems
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Titles where q-initial characters stand alone or in pairs, and one
/// where four stand together (亲戚欠钱: qin qi qian qian).
fn q_fixture() -> (Fixture, Library, Connection) {
    let f = Fixture::new();
    let docs = [
        (
            "marriage-sue",
            "起诉离婚，法院什么时候判离",
            ["起诉", "离婚", "判决"],
        ),
        (
            "labour-urgent",
            "情况紧急，能先给援助吗",
            ["援助", "紧急", "先予"],
        ),
        (
            "inheritance-give-up",
            "放弃继承要怎么办",
            ["放弃继承", "继承", "遗产"],
        ),
        (
            "private-lending-iou",
            "别人欠钱不还怎么办",
            ["欠钱不还", "借条", "讨债"],
        ),
        (
            "private-lending-kin",
            "亲戚欠钱不还怎么要",
            ["亲戚借钱", "欠钱", "讨债"],
        ),
    ];
    for (id, title, keywords) in docs {
        f.add(
            &format!("{id}.md"),
            &Doc::new(id, title, &keywords, "正文。"),
        );
    }
    let library = Library::load(f.path(), statutes()).unwrap();
    let mut conn = kiosk_storage::open_in_memory().unwrap();
    SearchIndex::sync(&mut conn, &library).unwrap();
    (f, library, conn)
}

fn titles(hits: &[Hit]) -> Vec<String> {
    hits.iter().map(|h| render(&h.title)).collect()
}

#[test]
fn a_four_letter_initials_query_needs_four_consecutive_characters() {
    let (_f, _l, conn) = q_fixture();
    let hits = SearchIndex::search(&conn, "qqqq", 30).unwrap();
    assert_eq!(titles(&hits), ["[亲戚欠钱]不还怎么要"]);
}

#[test]
fn fewer_initials_match_shorter_runs_and_highlight_all_of_them() {
    let (_f, _l, conn) = q_fixture();
    let hits = SearchIndex::search(&conn, "qqq", 30).unwrap();
    assert_eq!(titles(&hits), ["[亲戚欠钱]不还怎么要"]);
    let hits = SearchIndex::search(&conn, "qq", 30).unwrap();
    assert_eq!(
        titles(&hits),
        ["[亲戚欠钱]不还怎么要", "别人[欠钱]不还怎么办"]
    );
    // One letter may match one character: 起, 情, 弃, 欠, 亲…
    assert_eq!(SearchIndex::search(&conn, "q", 30).unwrap().len(), 5);
}

#[test]
fn initials_do_not_skip_characters() {
    let (_l, conn) = shipped();
    // 法律援助 is f-l-y-z: all four letters, not the first and the third.
    let hits = SearchIndex::search(&conn, "flyz", 30).unwrap();
    assert!(titles(&hits).iter().any(|t| t.contains("[法律援助]")));
    // Hits for `fy` may mention 法律援助 (a keyword such as 扶养 matched),
    // but never as a match of it.
    let hits = SearchIndex::search(&conn, "fy", 30).unwrap();
    for hit in &hits {
        let plain: String = hit.title.iter().map(|s| s.text.as_str()).collect();
        let shown = render(&hit.title);
        if plain.contains("法律援助") {
            assert!(shown.contains("法律援助"), "{shown}");
        }
    }
}

#[test]
fn chinese_then_letters_matches_the_characters_then_their_pinyin() {
    let (_l, conn) = shipped();
    for q in ["离hun", "离婚", "离 婚", "lihun"] {
        let hits = SearchIndex::search(&conn, q, 30).unwrap();
        assert!(!hits.is_empty(), "{q}");
        for hit in hits.iter().filter(|h| h.field == MatchField::Title) {
            let t = render(&hit.title);
            assert!(t.contains("[离婚]"), "{q}: {t}");
        }
    }
    // 婚姻 is only in keywords of the shipped library.
    let ids = |q: &str| -> Vec<String> {
        SearchIndex::search(&conn, q, 30)
            .unwrap()
            .into_iter()
            .map(|h| h.id)
            .collect()
    };
    assert!(!ids("婚yin").is_empty());
    assert_eq!(ids("婚yin"), ids("hunyin"));
    // Chinese also finds bodies, after the same title and keyword hits.
    assert!(ids("婚姻").starts_with(&ids("婚yin")));
}

thread_local! {
    /// The shipped library, imported once per test thread.
    static SHIPPED: (Library, Connection) = shipped();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn search_never_fails_on_any_typed_or_pasted_text(
        query in prop_oneof![
            any::<String>(),
            proptest::collection::vec(any::<char>(), 0..2000)
                .prop_map(|v| v.into_iter().collect::<String>()),
            "[a-z ]{0,80}",
            "[\\p{Han}a-z0-9，。 ]{0,60}",
            "[\\p{P}\\p{S}\\s]{0,200}",
            "[a-z]{1,6}".prop_map(|s| s.repeat(40)),
            // Near misses and hits of real words, with noise mixed in.
            "[离婚姻欠钱工资法律援助协议hyqlfzn' ，１２３４８]{1,40}",
            // Megabytes of it.
            "[a-z离 ，]{1,4}".prop_map(|s| s.repeat(100_000)),
        ],
        limit in 0usize..50,
    ) {
        let result = SHIPPED.with(|(_, conn)| SearchIndex::search(conn, &query, limit));
        prop_assert!(result.is_ok(), "{query:?}: {:?}", result.err());
        prop_assert!(result.unwrap().len() <= limit);
    }
}
